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

  // The state by the clock, from the coverage's times: the fragment stays cached while
  // nothing is posted, so its own data-state may be from before the start or the end.
  var LABELS = { upcoming: "预告", live: "直播中", ended: "已结束" };
  function stateNow(feed) {
    var seconds = Date.now() / 1000;
    var ends = feed.getAttribute("data-ends");
    var name = "upcoming";
    if (ends && seconds >= Number(ends)) name = "ended";
    else if (seconds >= Number(feed.getAttribute("data-starts"))) name = "live";
    return [name, LABELS[name]];
  }

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
        var now = stateNow(feed);
        state.textContent = now[1];
        state.className = "live-state is-" + now[0];
        if (now[0] !== "ended") schedule(parseInt(feed.getAttribute("data-poll"), 10) || 3);
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
