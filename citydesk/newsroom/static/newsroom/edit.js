// The newsroom editor page: 字数 as you type, the image library, the soft lock's renewal,
// and a warning before leaving with unsaved changes.
(() => {
  "use strict"
  const form = document.getElementById("article-form")
  const counter = document.getElementById("char-count")
  const state = document.getElementById("editor-state")
  const csrf = () => form.querySelector("[name=csrfmiddlewaretoken]").value
  let editor = null
  let dirty = false

  // 字数: the characters of paragraphs and headings, whitespace not counted, as the
  // server counts them (citydesk.content.richtext.char_count).
  const count = () => {
    let total = 0
    editor.state.doc.descendants((node) => {
      if (node.type.name === "paragraph" || node.type.name === "heading") {
        total += node.textContent.replace(/\s/g, "").length
        return false
      }
      return node.type.name !== "figure" && node.type.name !== "video"
    })
    counter.textContent = total
  }

  // The menu's names, which prose-editor does not translate, in Chinese.
  const names = {
    heading2: "小标题",
    paragraph: "正文段落",
    figure: "插入图片",
    bold: "加粗",
    italic: "斜体",
    underline: "下划线",
    strike: "删除线",
    subscript: "下标",
    superscript: "上标",
    link: "插入链接",
    unlink: "取消链接",
    "history:undo": "撤销",
    "history:redo": "重做",
  }
  const translateMenu = () => {
    for (const [name, label] of Object.entries(names)) {
      for (const item of document.querySelectorAll(`.prose-menubar [data-name="${name}"]`)) {
        if (item.title === label) continue
        item.title = label
        item.setAttribute("aria-label", label)
        const text = item.querySelector("h2, h3, p")
        if (text) text.textContent = label
      }
    }
    // The block-type button shows the current type by its English name.
    const current = { "heading 2": "小标题", paragraph: "正文段落" }
    for (const item of document.querySelectorAll(".prose-menubar__selected [title]")) {
      if (current[item.title]) item.title = current[item.title]
    }
  }

  const ready = (detail) => {
    editor = detail.editor
    // The menu bar is drawn after the editor is ready, and redrawn: name it when it is.
    const box = detail.textarea.closest(".prose-editor") || document.body
    new MutationObserver(translateMenu).observe(box, { childList: true, subtree: true })
    translateMenu()
    editor.on("update", () => {
      dirty = true
      count()
    })
    count()
  }
  // editor-boot.js keeps the editor if it was ready before this script ran.
  if (window.citydeskEditor) ready(window.citydeskEditor)
  else document.addEventListener("prose-editor:ready", (event) => ready(event.detail))
  form.addEventListener("input", () => (dirty = true))
  form.addEventListener("submit", () => (dirty = false))
  window.addEventListener("beforeunload", (event) => {
    if (dirty) event.preventDefault()
  })

  // A figure as the body stores it: the library id, the caption, "|", the credit.
  const figure = ({ id, src, caption, credit }) => {
    const outer = document.createElement("figure")
    const img = document.createElement("img")
    img.src = src
    img.alt = ""
    if (id) img.setAttribute("data-file", id)
    const text = document.createElement("figcaption")
    text.textContent = credit ? `${caption} | ${credit}` : caption
    outer.append(img, text)
    return outer.outerHTML
  }
  const insert = (image) => {
    if (!editor) return
    // An empty paragraph after it, so that typing goes on below the picture.
    editor.chain().focus().insertContent(figure(image) + "<p></p>").run()
  }
  const list = document.getElementById("image-list")
  list?.addEventListener("click", (event) => {
    const button = event.target.closest("[data-insert-image]")
    if (!button) return
    const d = button.dataset
    insert({ id: d.insertImage, src: d.src, caption: d.caption || "", credit: d.credit || "" })
  })

  const upload = document.getElementById("image-upload")
  upload?.addEventListener("submit", async (event) => {
    event.preventDefault()
    const error = document.getElementById("upload-error")
    error.hidden = true
    const response = await fetch(upload.action, {
      method: "POST",
      body: new FormData(upload),
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin",
    })
    const answer = await response.json().catch(() => ({ error: "上传失败，请重试" }))
    if (!response.ok || answer.error) {
      error.textContent = answer.error || "上传失败，请重试"
      error.hidden = false
      return
    }
    const item = document.createElement("li")
    item.innerHTML = '<img alt=""><button type="button">插入</button>'
    item.querySelector("img").src = answer.src
    Object.assign(item.querySelector("button").dataset, {
      insertImage: answer.id,
      src: answer.src,
      caption: answer.caption,
      credit: answer.credit,
    })
    list.prepend(item)
    upload.reset()
    insert(answer)
  })

  // The soft lock: renewed while the page is open, released on leaving.
  if (state && state.dataset.editable) {
    const url = state.dataset.lockUrl
    const warning = document.getElementById("lock-warning")
    const renew = async () => {
      const body = new FormData()
      body.append("csrfmiddlewaretoken", csrf())
      const response = await fetch(url, { method: "POST", body, credentials: "same-origin" })
      if (!response.ok) return
      const lock = await response.json()
      if (lock.mine) {
        warning.hidden = true
      } else {
        warning.hidden = false
        warning.textContent = `${lock.holder}从 ${lock.since} 起正在编辑这篇稿件。你仍可修改，但保存时如对方已先保存，你的修改会另存为未采用的版本。`
      }
    }
    setInterval(renew, (Number(state.dataset.lockSeconds) * 1000) / 3)
    window.addEventListener("pagehide", () => {
      const body = new FormData()
      body.append("csrfmiddlewaretoken", csrf())
      body.append("release", "1")
      navigator.sendBeacon(url, body)
    })
  }
})()
