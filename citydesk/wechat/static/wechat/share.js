// WeChat share cards (citydesk/wechat). In WeChat's own browser only: load the JS-SDK,
// have the site sign this page's URL, and give the share card the page's title,
// description and picture from its OpenGraph tags. Elsewhere it does nothing.
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || !/MicroMessenger/i.test(navigator.userAgent)) return;
  var url = location.href.split("#")[0];

  function meta(property) {
    var tag = document.querySelector('meta[property="' + property + '"]');
    return tag ? tag.getAttribute("content") : "";
  }

  function share(config) {
    var wx = window.wx;
    wx.config({
      appId: config.appId,
      timestamp: config.timestamp,
      nonceStr: config.nonceStr,
      signature: config.signature,
      jsApiList: ["updateAppMessageShareData", "updateTimelineShareData"],
    });
    wx.ready(function () {
      var card = {
        title: meta("og:title") || document.title,
        desc: meta("og:description"),
        link: meta("og:url") || url,
        imgUrl: meta("og:image"),
      };
      wx.updateAppMessageShareData(card);
      wx.updateTimelineShareData({ title: card.title, link: card.link, imgUrl: card.imgUrl });
    });
  }

  var sdk = document.createElement("script");
  sdk.src = me.getAttribute("data-sdk");
  sdk.onload = function () {
    fetch(me.getAttribute("data-config") + "?url=" + encodeURIComponent(url), { credentials: "omit" })
      .then(function (response) {
        return response.ok ? response.json() : Promise.reject(response.status);
      })
      .then(share)
      .catch(function () {}); // no card: WeChat shares the plain link
  };
  document.head.appendChild(sdk);
})();
