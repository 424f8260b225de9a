// Small behaviours shared by every page. No inline scripts: the CSP forbids them.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-print]");
  if (button) {
    event.preventDefault();
    window.print();
  }
});
