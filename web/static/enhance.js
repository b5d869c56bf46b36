// Progressive enhancement only: every feature works without this script.
// "/" jumps to the search box (as on many search sites), unless the user is typing.
document.addEventListener("keydown", (event) => {
  const target = event.target;
  const typing = target.closest && target.closest("input, textarea, select, [contenteditable]");
  if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
    const box = document.getElementById("q");
    if (box) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  }
});
