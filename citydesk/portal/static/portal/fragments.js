// Fills the sidebar's boxes from their fragments and counts an article page's view.
// The page around them is cached as a file; these are the parts that change by the minute.
(function () {
  "use strict";

  // An article page never recommends itself: drop it and show the spare in its place.
  function hideOwn(box, exclude) {
    var own = box.querySelector('[data-article-id="' + exclude + '"]');
    var spare = box.querySelector("[data-spare]");
    if (!own) return;
    own.parentNode.removeChild(own);
    if (spare && spare !== own) spare.hidden = false;
    var first = box.querySelector("li:not([hidden])");
    if (!first) {
      var list = box.querySelector("ul");
      var empty = document.createElement("p");
      empty.className = "box-empty";
      empty.textContent = "暂无推荐";
      list.parentNode.replaceChild(empty, list);
    } else if (!first.classList.contains("pick-lead") && first.dataset.cover) {
      var img = document.createElement("img");
      img.src = first.dataset.cover;
      img.alt = "";
      img.decoding = "async";
      first.classList.add("pick-lead");
      first.firstElementChild.insertBefore(img, first.firstElementChild.firstChild);
    }
  }

  function fill(placeholder) {
    fetch(placeholder.dataset.fragment, { credentials: "omit" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var box = doc.querySelector("[data-fragment-box]");
        if (!box) return;
        box = document.importNode(box, true);
        if (placeholder.dataset.exclude) hideOwn(box, placeholder.dataset.exclude);
        placeholder.parentNode.replaceChild(box, placeholder);
      })
      .catch(function () {
        // The placeholder's link still leads to the fragment.
      });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-fragment]"), fill);

  var beacon = document.querySelector("[data-beacon]");
  if (beacon) {
    var url = beacon.dataset.beacon;
    if (!(navigator.sendBeacon && navigator.sendBeacon(url))) {
      fetch(url, { method: "POST", keepalive: true, credentials: "omit" }).catch(function () {});
    }
  }
})();
