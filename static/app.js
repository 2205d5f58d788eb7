// Page behaviour without inline handlers, so the Content-Security-Policy can forbid inline script.
// data-confirm on a form asks before it is sent; data-submit-once on a button stops a second
// submit of the same form; data-navigate on a select goes to the chosen option's URL.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
    return;
  }
  const button = event.submitter;
  if (button && button.hasAttribute("data-submit-once")) {
    if (form.dataset.sent) {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "1";
    // After this event, so the button's own name and value are still sent.
    setTimeout(() => { button.disabled = true; }, 0);
  }
});

document.addEventListener("change", (event) => {
  const select = event.target;
  if (select.matches("select[data-navigate]") && select.value) {
    window.location = select.value;
  }
});

// data-copy="#selector" on a button copies that input's value; the button's aria-describedby
// element says it was copied (a live region, for screen readers too).
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const input = document.querySelector(button.dataset.copy);
  const note = document.getElementById(button.getAttribute("aria-describedby") || "");
  if (!input) return;
  const said = (text) => { if (note) note.textContent = text; };
  const fallback = () => {
    input.select();
    said(document.execCommand("copy") ? "Copied." : "Select the URL and copy it.");
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(input.value).then(() => said("Copied."), fallback);
  } else {
    fallback();
  }
});
