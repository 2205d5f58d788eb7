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
