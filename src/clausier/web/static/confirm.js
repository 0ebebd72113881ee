// Destructive actions are confirmed: a form with data-confirm asks its question before it is
// sent. A file rather than an inline handler, since the pages' CSP forbids inline scripts; four
// lines of the browser's own confirm(), which no library would make shorter.
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) { event.preventDefault(); }
});
