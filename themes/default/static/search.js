// Pagefind's own UI; its zh-CN strings are chosen from <html lang="zh-CN">.
// The bundle path is relative to this page, so the site works under any sub-path.
// Content is untrusted: titles are shown as text by the UI, filter names and values by the build's
// patch of pagefind-ui.js (site_builder/search_index.py); excerpts are HTML with <mark> around the
// matches, so everything else in them is escaped here again, whatever Pagefind already did.
(function () {
  var element = document.getElementById("search");
  if (!element || typeof PagefindUI === "undefined") return;
  function textWithMarks(html) {
    return String(html == null ? "" : html).split(/(<\/?mark>)/).map(function (part) {
      return part === "<mark>" || part === "</mark>" ? part : part.replace(/</g, "&lt;").replace(/>/g, "&gt;");
    }).join("");
  }
  var ui = new PagefindUI({
    processResult: function (result) {
      result.excerpt = textWithMarks(result.excerpt);
      (result.sub_results || []).forEach(function (sub) { sub.excerpt = textWithMarks(sub.excerpt); });
      return result;
    },
    element: "#search",
    bundlePath: element.getAttribute("data-bundle"),
    showSubResults: true,
    showImages: false,
    resetStyles: false,
    autofocus: true,
  });
  // a visible label for Pagefind's input (axe: label-title-only)
  var input = element.querySelector("input");
  if (input) {
    input.id = "search-input";
    var label = document.getElementById("search-label");
    if (label) label.setAttribute("for", "search-input");
  }
  var query = new URLSearchParams(window.location.search).get("q");
  if (query) ui.triggerSearch(query);
})();
