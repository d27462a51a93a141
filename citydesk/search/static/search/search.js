// Suggestions as you type, for every search box on the page: titles and words from
// /search/suggest/, asked for at most every 150 ms, chosen with the mouse or the arrows.
(function () {
  "use strict";

  function setUp(input) {
    var form = input.form;
    var list = form.querySelector(".search-suggest");
    if (!list) return;
    var timer = null;
    var asked = "";
    var active = -1;

    function close() {
      list.hidden = true;
      list.textContent = "";
      active = -1;
    }

    function item(text, href, term) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      li.setAttribute("role", "option");
      if (term) li.className = "is-term";
      a.href = href;
      a.textContent = text; // text, never HTML: titles come from the database
      li.appendChild(a);
      return li;
    }

    function show(data) {
      list.textContent = "";
      active = -1;
      (data.terms || []).forEach(function (word) {
        var url = form.action + "?q=" + encodeURIComponent(word);
        list.appendChild(item(word, url, true));
      });
      (data.titles || []).forEach(function (t) {
        list.appendChild(item(t.title, t.url, false));
      });
      list.hidden = !list.children.length;
    }

    function ask() {
      var q = input.value.trim();
      if (!q) return close();
      if (q === asked) return;
      asked = q;
      fetch(input.dataset.suggest + "?q=" + encodeURIComponent(q), {
        headers: { Accept: "application/json" },
      })
        .then(function (r) {
          return r.ok ? r.json() : { titles: [], terms: [] };
        })
        .then(function (data) {
          if (data.q === input.value.trim()) show(data);
        })
        .catch(close);
    }

    function move(step) {
      var items = list.children;
      if (!items.length) return;
      if (active >= 0) items[active].removeAttribute("aria-selected");
      active = (active + step + items.length) % items.length;
      items[active].setAttribute("aria-selected", "true");
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 150);
    });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) return;
      if (e.key === "ArrowDown") {
        move(1);
        e.preventDefault();
      } else if (e.key === "ArrowUp") {
        move(-1);
        e.preventDefault();
      } else if (e.key === "Escape") {
        close();
      } else if (e.key === "Enter" && active >= 0) {
        e.preventDefault();
        window.location.href = list.children[active].firstChild.href;
      }
    });
    input.addEventListener("blur", function () {
      setTimeout(close, 200); // after a click on a suggestion has landed
    });
  }

  document.querySelectorAll("input[data-suggest]").forEach(setUp);
})();
