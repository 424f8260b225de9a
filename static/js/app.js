// Small behaviours shared by every page. No inline scripts: the CSP forbids them.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-print]");
  if (button) {
    event.preventDefault();
    window.print();
  }
});

// After a save conflict, "Copy mine back" puts what the person typed into the fields of
// the line (or agreed-score form) it belongs to. A change event then lets the scoring
// page autosave it, now against the current version.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy-mine]");
  if (!button) return;
  event.preventDefault();
  const scope = button.closest("[data-mine-scope]");
  if (!scope) return;
  let last = null;
  for (const input of button.parentElement.querySelectorAll("[data-mine-field]")) {
    const name = input.dataset.mineField;
    const value = input.value;
    for (const field of scope.querySelectorAll(`[name="${CSS.escape(name)}"]`)) {
      if (field.type === "radio") {
        field.checked = field.value === value;
      } else if (field.type === "checkbox") {
        field.checked = value === "on";
      } else if (field.type !== "hidden") {
        field.value = value;
      } else {
        continue;
      }
      last = field;
    }
  }
  const box = button.closest(".conflict-mine");
  if (last) {
    last.dispatchEvent(new Event("change", { bubbles: true }));
    last.focus();
  }
  if (box) box.remove();
});

// Pressing Enter on a level choice saves that line (the autosave), not the whole
// section: the browser would otherwise submit the section's form.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Enter") return;
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || input.type !== "radio") return;
  const line = input.closest(".score-line[data-hx-post]");
  if (!line) return;
  event.preventDefault();
  input.checked = true;
  input.dispatchEvent(new Event("change", { bubbles: true }));
});

// After a save conflict htmx puts the focus back in the field it had, which now holds the
// other tab's text: typing on would autosave over it unseen. Move the focus to "Copy mine
// back" instead, so the person sees the conflict first.
document.body.addEventListener("htmx:afterSettle", (event) => {
  const root = event.detail && event.detail.elt ? event.detail.elt : event.target;
  const scope = root.closest ? root.closest(".score-line--conflict") || root : root;
  const button = scope.querySelector && scope.querySelector(".conflict-mine [data-copy-mine]");
  if (button) button.focus();
});

// A PDF being made by the worker (templates/reporting/preparing.html): ask its address
// every 5 seconds, without reloading the page, until the answer is no longer 202
// ("being prepared"); then open it, so that the PDF downloads, or a failure shows its
// page. The reading of the answer is stopped at once: only its status is needed.
(() => {
  const box = document.querySelector("[data-wait-for-pdf]");
  if (!box) return;
  const url = box.dataset.waitForPdf;
  const status = box.querySelector("[data-wait-status]");
  const check = async () => {
    let response;
    try {
      response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
    } catch {
      setTimeout(check, 5000); // the network or the server is away for a moment
      return;
    }
    if (response.body) response.body.cancel().catch(() => {});
    if (response.status === 202) {
      setTimeout(check, 5000);
      return;
    }
    const isPdf = (response.headers.get("Content-Type") || "").startsWith("application/pdf");
    if (isPdf && status) status.textContent = "The PDF is ready: it is downloading.";
    window.location.assign(url);
  };
  setTimeout(check, 5000);
})();
