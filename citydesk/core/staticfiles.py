"""Static files named by their content once collected, so browsers and fronts keep them
for a year (whitenoise marks hashed names immutable; nginx's config does the same).

Before `collectstatic` has run (the tests, `citydesk serve --no-collectstatic`) there is
no manifest: the files keep their plain names and whitenoise finds them in the apps.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    def stored_name(self, name: str) -> str:
        if not self.hashed_files:  # not collected: the plain name, served by the finders
            return name
        return super().stored_name(name)  # a file missing from the manifest is an error
