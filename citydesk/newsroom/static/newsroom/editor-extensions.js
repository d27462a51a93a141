// citydesk's own ProseMirror (tiptap) extensions for django-prose-editor: the shapes
// citydesk.content.richtext reads back into body blocks.
import { Extension, Node } from "django-prose-editor/editor"

// The library image's id on <img data-file="12">, so the body keeps which image it is.
export const LibraryImage = Extension.create({
  name: "libraryImage",
  addGlobalAttributes() {
    return [
      {
        types: ["image"],
        attributes: {
          dataFile: {
            default: null,
            parseHTML: (element) => element.getAttribute("data-file"),
            renderHTML: (attributes) =>
              attributes.dataFile ? { "data-file": attributes.dataFile } : {},
          },
        },
      },
    ]
  },
})

// 分页: a page break, <hr class="pagebreak">; the reader page splits the article there.
export const PageBreak = Node.create({
  name: "pageBreak",
  group: "block",
  atom: true,
  selectable: true,
  parseHTML() {
    return [{ tag: "hr" }]
  },
  renderHTML() {
    return ["hr", { class: "pagebreak" }]
  },
  addCommands() {
    return {
      insertPageBreak:
        () =>
        ({ commands }) =>
          // With a paragraph after it, where the cursor goes: typing never replaces it.
          commands.insertContent([{ type: this.name }, { type: "paragraph" }]),
    }
  },
  addMenuItems({ menu, buttons }) {
    menu.defineItem({
      name: "pageBreak",
      groups: "nodes",
      button: buttons.text("分页"),
      command(editor) {
        editor.chain().focus().insertPageBreak().run()
      },
    })
  },
})

// 视频: <figure class="video"><video src></video><figcaption>说明</figcaption></figure>.
export const Video = Node.create({
  name: "video",
  group: "block",
  atom: true,
  draggable: true,
  addAttributes() {
    return { src: { default: null }, poster: { default: null }, caption: { default: "" } }
  },
  parseHTML() {
    return [
      {
        tag: "figure.video",
        priority: 100, // before the Figure extension's rule for any <figure>
        getAttrs(element) {
          const video = element.querySelector("video")
          const source = element.querySelector("source")
          return {
            src: video?.getAttribute("src") || source?.getAttribute("src") || null,
            poster: video?.getAttribute("poster") || null,
            caption: element.querySelector("figcaption")?.textContent || "",
          }
        },
      },
    ]
  },
  renderHTML({ node }) {
    const video = ["video", { src: node.attrs.src, poster: node.attrs.poster, controls: "", preload: "none" }]
    return node.attrs.caption
      ? ["figure", { class: "video" }, video, ["figcaption", {}, node.attrs.caption]]
      : ["figure", { class: "video" }, video]
  },
  addMenuItems({ menu, buttons }) {
    menu.defineItem({
      name: "video",
      groups: "nodes",
      button: buttons.text("视频"),
      command(editor) {
        const src = window.prompt("视频地址（https:// 开头的 mp4 等）")
        if (!src) return
        const caption = window.prompt("视频说明（可不填）") || ""
        editor
          .chain()
          .focus()
          .insertContent([{ type: "video", attrs: { src, caption } }, { type: "paragraph" }])
          .run()
      },
    })
  },
})
