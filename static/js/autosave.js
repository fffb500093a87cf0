/*
 * Autosave of an application draft, as progressive enhancement of a plain form.
 *
 * Without this script the form's "Save draft" button saves. With it, answers are posted as the
 * vendor types (debounced) to the form's own URL with action=autosave; the view validates them
 * with the same form and service and answers JSON: {"saved", "errors": {input id: [...]},
 * "form_errors": [...]}. A polite live region says "Saving…", "Saved" or why not. One request
 * at a time: changes made while one is in flight are sent when it returns.
 */
(function () {
  "use strict";

  var form = document.querySelector("form[data-autosave-form]");
  var status = form && form.querySelector("[data-autosave-status]");
  var wordsNode = document.getElementById("autosave-strings");
  if (!form || !status || !wordsNode || !window.fetch || !window.FormData) {
    return;
  }

  var DEBOUNCE_MS = 800;
  var words = JSON.parse(wordsNode.textContent);
  var timer = null;
  var inFlight = false;
  var pending = false;

  function say(text) {
    status.textContent = text;
  }

  function showErrors(errors) {
    Array.prototype.forEach.call(form.querySelectorAll("[data-autosave-error-for]"), function (box) {
      var id = box.getAttribute("data-autosave-error-for");
      var input = document.getElementById(id);
      var messages = errors[id] || [];
      box.textContent = "";
      messages.forEach(function (message) {
        var line = document.createElement("p");
        line.textContent = message;
        box.appendChild(line);
      });
      box.hidden = messages.length === 0;
      if (input) {
        if (messages.length) {
          input.setAttribute("aria-invalid", "true");
        } else {
          input.removeAttribute("aria-invalid");
        }
      }
    });
  }

  function save() {
    if (inFlight) {
      pending = true;
      return;
    }
    inFlight = true;
    pending = false;
    say(words.saving);
    var body = new FormData(form);
    body.set("action", "autosave");
    fetch(form.getAttribute("action") || window.location.href, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (response) {
        return response.json().then(function (answer) {
          return { ok: response.ok, answer: answer };
        });
      })
      .then(function (result) {
        showErrors(result.answer.errors || {});
        var problems = result.answer.form_errors || [];
        say(result.answer.saved ? words.saved : problems.length ? problems.join(" ") : words.invalid);
      })
      .catch(function () {
        say(words.failed);
      })
      .then(function () {
        inFlight = false;
        if (pending) {
          save();
        }
      });
  }

  function changed(event) {
    if (!event.target.hasAttribute || !event.target.hasAttribute("data-autosave")) {
      return;
    }
    window.clearTimeout(timer);
    timer = window.setTimeout(save, DEBOUNCE_MS);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
})();
