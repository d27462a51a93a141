// 关怀版 (the elder-friendly mode of 工信部's 2021 适老化 rules): larger type in three
// sizes, high contrast, big tap targets, a simpler menu, no animations, and 朗读 (the
// browser's speech synthesis, in zh-CN). The page is the same cached file in both modes:
// this script, loaded before the page is drawn, sets a class on <html> from what the
// reader chose last (localStorage), and portal.css does the rest.
(function () {
  "use strict";
  var root = document.documentElement;
  var SIZES = 3;

  function load(key) {
    try {
      return window.localStorage.getItem(key);
    } catch (e) {
      return null; // storage refused (private mode): the mode is not remembered
    }
  }
  function save(key, value) {
    try {
      if (value === null) window.localStorage.removeItem(key);
      else window.localStorage.setItem(key, value);
    } catch (e) {}
  }

  function apply(on, size) {
    root.classList.toggle("care", on);
    root.setAttribute("data-care-text", String(size));
  }

  // A link to any page ending in #care opens it in 关怀版 (and the choice is kept), as
  // the 适老化 entrances of other sites link to theirs: still the same cached page.
  if (window.location.hash === "#care") save("care", "1");
  var size = Math.min(SIZES - 1, Math.max(0, parseInt(load("care-size"), 10) || 0));
  apply(load("care") === "1", size);

  // 朗读: the article's title, lead and body, a sentence an utterance (long utterances
  // stop halfway in some browsers).
  var reading = false;
  function showReading(button, on) {
    reading = on;
    button.setAttribute("aria-pressed", String(on));
    button.textContent = on ? "停止朗读" : "朗读";
  }
  function readAloud(button) {
    var speech = window.speechSynthesis;
    speech.cancel();
    if (reading) {
      showReading(button, false);
      return;
    }
    var parts = document.querySelectorAll("[data-read]");
    var text = Array.prototype.map.call(parts, function (el) { return el.innerText; }).join("\n");
    var sentences = (text.match(/[^。！？!?\n]+[。！？!?]*/g) || []).filter(function (s) { return s.trim(); });
    var voice = speech.getVoices().filter(function (v) { return /^zh[-_]CN/i.test(v.lang); })[0];
    sentences.forEach(function (sentence, n) {
      var utterance = new SpeechSynthesisUtterance(sentence.trim());
      utterance.lang = "zh-CN";
      if (voice) utterance.voice = voice;
      utterance.rate = 0.9;
      if (n === sentences.length - 1) utterance.onend = function () { showReading(button, false); };
      speech.speak(utterance);
    });
    showReading(button, sentences.length > 0);
  }

  function each(selector, work) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), work);
  }

  document.addEventListener("DOMContentLoaded", function () {
    each("[data-care-switch]", function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var on = !root.classList.contains("care");
        save("care", on ? "1" : null);
        apply(on, size);
        var read = document.querySelector("[data-care-read]");
        if (!on && reading) readAloud(read); // stops it
      });
    });
    each("[data-care-size]", function (button) {
      button.addEventListener("click", function () {
        var step = parseInt(button.getAttribute("data-care-size"), 10);
        size = Math.min(SIZES - 1, Math.max(0, size + step));
        save("care-size", String(size));
        apply(true, size);
      });
    });
    var read = document.querySelector("[data-care-read]");
    if (read && "speechSynthesis" in window && document.querySelector("[data-read]")) {
      read.hidden = false;
      read.addEventListener("click", function () { readAloud(read); });
    }
  });
})();
