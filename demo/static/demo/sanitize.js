/* Client-side sanitiser for the server's notification HTML: only p, strong, em, b, i, br and a survive,
   with no attribute except a safe href on a. Parsing happens in an inert document (DOMParser), so nothing
   in the input runs or loads; the output is rebuilt node by node in the live document. */
(function () {
  "use strict";
  var ALLOWED = { P: 1, STRONG: 1, EM: 1, B: 1, I: 1, BR: 1, A: 1 };
  // Dropped with everything inside them (their text is not content).
  var DROP = { SCRIPT: 1, STYLE: 1, TEMPLATE: 1, IFRAME: 1, OBJECT: 1, EMBED: 1, NOSCRIPT: 1, TEXTAREA: 1,
               SELECT: 1, SVG: 1, MATH: 1, TITLE: 1, HEAD: 1 };

  function safeHref(value) {
    if (typeof value !== "string") return null;
    // Browsers ignore control characters and whitespace inside schemes ("java\tscript:"): refuse them.
    if (/[\u0000-\u0020\u007f\\]/.test(value)) return null;
    if (value.charAt(0) === "/" && value.charAt(1) !== "/") return value; // same-site path
    if (value.charAt(0) === "#" || value.charAt(0) === "?") return value;
    var url;
    try { url = new URL(value, window.location.origin); } catch (e) { return null; }
    if (url.protocol !== "http:" && url.protocol !== "https:" && url.protocol !== "mailto:") return null;
    return value;
  }

  function copy(source, target, allowLinks) {
    source.childNodes.forEach(function (node) {
      if (node.nodeType === 3) { target.appendChild(document.createTextNode(node.nodeValue)); return; }
      if (node.nodeType !== 1) return; // comments, processing instructions
      var tag = node.nodeName.toUpperCase();
      if (DROP[tag]) return;
      if (!ALLOWED[tag] || (tag === "A" && !allowLinks)) { copy(node, target, allowLinks); return; } // unwrap
      var clean = document.createElement(tag.toLowerCase());
      if (tag === "A") {
        var href = safeHref(node.getAttribute("href"));
        if (href !== null) clean.setAttribute("href", href);
      }
      copy(node, clean, allowLinks && tag !== "A"); // no links inside links
      target.appendChild(clean);
    });
  }

  /* Returns a DocumentFragment holding the sanitised content. Pass {links: false} when the content goes
     inside an element that is itself a link. */
  function sanitize(html, options) {
    var allowLinks = !(options && options.links === false);
    var parsed = new DOMParser().parseFromString("<!doctype html><body>" + String(html == null ? "" : html), "text/html");
    var fragment = document.createDocumentFragment();
    copy(parsed.body, fragment, allowLinks);
    return fragment;
  }

  window.pnSanitize = sanitize;
  window.pnSafeHref = safeHref;
})();
