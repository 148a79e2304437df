// Pagefind's own UI; its zh-CN strings are chosen from <html lang="zh-CN">.
// The bundle path is relative to this page, so the site works under any sub-path.
(function () {
  var element = document.getElementById("search");
  if (!element || typeof PagefindUI === "undefined") return;
  var ui = new PagefindUI({
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
