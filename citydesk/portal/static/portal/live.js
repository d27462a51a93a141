// 图文直播: the article's page is one cached file; its updates are a fragment of their
// own (/live/<id>/), cached until the desk posts, edits or deletes an update. This reads
// it at once and then every few seconds, as the fragment says (data-poll), until the
// coverage ends; a hidden tab does not poll. Without JavaScript the page frames the same
// fragment, so a reload shows every update.
(function () {
  "use strict";
  var box = document.querySelector("[data-live]");
  if (!box || !window.fetch || !window.DOMParser) return;
  var slot = box.querySelector(".live-slot");
  var state = box.querySelector("[data-live-state]");
  var url = box.getAttribute("data-live");
  var shown = null;
  var timer = null;

  function schedule(seconds) {
    clearTimeout(timer);
    if (!document.hidden) timer = setTimeout(refresh, seconds * 1000);
  }

  function refresh() {
    // no-cache: asked again each time, answered 304 while nothing changed.
    fetch(url, { cache: "no-cache", credentials: "omit" })
      .then(function (response) {
        return response.ok ? response.text() : Promise.reject(response.status);
      })
      .then(function (html) {
        var feed = new DOMParser().parseFromString(html, "text/html").querySelector(".live-feed");
        if (!feed) return schedule(30);
        if (feed.innerHTML !== shown) {
          shown = feed.innerHTML;
          slot.replaceChildren(document.importNode(feed, true));
        }
        state.textContent = feed.getAttribute("data-state-label");
        state.className = "live-state is-" + feed.getAttribute("data-state");
        if (feed.getAttribute("data-state") !== "ended") {
          schedule(parseInt(feed.getAttribute("data-poll"), 10) || 3);
        }
      })
      .catch(function () {
        schedule(15); // the site is busy or the reader offline: try again later
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) clearTimeout(timer);
    else refresh();
  });
  refresh();
})();
