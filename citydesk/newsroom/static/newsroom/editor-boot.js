// Loaded in the editor page's head, before django-prose-editor's modules:
// - Chinese for prose-editor's dialogs, which it translates through window.gettext, read
//   once when its module loads. The package ships no Chinese catalogue, and the newsroom
//   needs nothing else of Django's JS i18n.
// - The editor, kept as it becomes ready: edit.js (deferred) may run before or after that
//   moment, and prose-editor announces it only once.
(() => {
  "use strict"
  const zh = {
    "Image URL": "图片地址",
    "Alternative Text": "替代文字",
    Caption: "图片说明（说明 | 摄影）",
    "Edit Figure": "编辑图片",
    "Insert Figure": "插入图片",
    "Edit Image": "编辑图片",
    Update: "更新",
    Insert: "插入",
    Cancel: "取消",
    URL: "网址",
    Title: "标题",
    "Open in new window": "在新窗口打开",
    "Edit Link": "编辑链接",
    "Add caption": "添加说明",
    "Remove caption": "删除说明",
    "Toggle fullscreen": "全屏",
  }
  const fallback = window.gettext
  window.gettext = (text) => zh[text] || (fallback ? fallback(text) : text)

  document.addEventListener("prose-editor:ready", (event) => {
    window.citydeskEditor = event.detail
  })
})()
