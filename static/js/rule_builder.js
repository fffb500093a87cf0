/*
 * Rule builder forms, as progressive enhancement of the server-rendered pages.
 *
 * Without this script, choosing another fact and pressing "Update the inputs" re-renders the
 * form with inputs that fit it, and "Preview impact" reloads the page with the impact panel.
 * With it:
 * - choosing a fact (or the criterion's kind) updates the operator choices at once, from the
 *   page's "rule-builder-config" (the same lists the server uses), and choosing an operator
 *   swaps in the value inputs the server rendered into <template data-value-template="key">;
 * - every change previews the impact in the background: the form is posted with
 *   action=preview and the header X-Rule-Preview, and the server answers with the impact panel
 *   alone, computed by the same code as the button. Nothing is ever saved from here.
 * The server assembles and validates the value either way; this script decides nothing.
 */
(function () {
  "use strict";

  var form = document.querySelector("form[data-rule-form]");
  if (!form || !window.fetch || !window.FormData) {
    return;
  }

  var DEBOUNCE_MS = 400;
  var configNode = document.getElementById("rule-builder-config");
  var config = configNode ? JSON.parse(configNode.textContent) : null;
  var requirement = form.querySelector("[data-requirement]");
  var factSelect = form.querySelector("[data-rule-fact]");
  var operatorSelect = form.querySelector("[data-rule-operator]");
  var slot = form.querySelector("[data-value-slot]");
  var kindInputs = form.querySelectorAll('input[name="kind"]');
  var awardOnly = form.querySelector("[data-award-only]");
  var generation = 0;
  var timer = null;

  function currentKind() {
    for (var i = 0; i < kindInputs.length; i++) {
      if (kindInputs[i].checked) {
        return kindInputs[i].value;
      }
    }
    return requirement ? requirement.getAttribute("data-kind") : null;
  }

  function showWeight() {
    if (awardOnly && kindInputs.length) {
      awardOnly.hidden = currentKind() === "gate"; // scoring ignores a gate's weight
    }
  }

  function factConfig() {
    var kind = currentKind();
    if (!config || !factSelect || !config[kind]) {
      return null;
    }
    return config[kind][factSelect.value] || null;
  }

  function fillOperators() {
    var fact = factConfig();
    if (!fact || !operatorSelect) {
      return;
    }
    var chosen = operatorSelect.value;
    var keep = false;
    while (operatorSelect.firstChild) {
      operatorSelect.removeChild(operatorSelect.firstChild);
    }
    fact.operators.forEach(function (pair) {
      var option = document.createElement("option");
      option.value = pair[0];
      option.textContent = pair[1];
      if (pair[0] === chosen) {
        option.selected = true;
        keep = true;
      }
      operatorSelect.appendChild(option);
    });
    if (!keep && operatorSelect.options.length) {
      operatorSelect.selectedIndex = 0;
    }
  }

  function fitValueInputs() {
    var fact = factConfig();
    if (!fact || !slot || !operatorSelect) {
      return;
    }
    var key = fact.inputs[operatorSelect.value] || "none";
    if (slot.getAttribute("data-input") === key) {
      return; // the same inputs: keep what was typed
    }
    var template = document.querySelector('template[data-value-template="' + key + '"]');
    if (!template) {
      return;
    }
    while (slot.firstChild) {
      slot.removeChild(slot.firstChild);
    }
    slot.appendChild(document.importNode(template.content, true));
    slot.setAttribute("data-input", key);
  }

  function preview() {
    var panel = document.querySelector("[data-impact]");
    if (!panel) {
      return;
    }
    var body = new FormData(form);
    body.set("action", "preview");
    var mine = ++generation;
    panel.setAttribute("aria-busy", "true");
    fetch(form.getAttribute("action") || window.location.href, {
      method: "POST",
      body: body,
      headers: { "X-Rule-Preview": "1", Accept: "text/html" },
      credentials: "same-origin",
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("preview answered " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        if (mine !== generation) {
          return; // a newer preview is under way; its answer wins
        }
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-impact]");
        var current = document.querySelector("[data-impact]");
        if (fresh && current) {
          // Only the body is replaced, so its aria-live region announces the new counts.
          current.querySelector("[data-impact-body]").innerHTML =
            fresh.querySelector("[data-impact-body]").innerHTML;
        }
      })
      .catch(function () {
        /* The button still previews with a page load. */
      })
      .then(function () {
        if (mine === generation) {
          panel.removeAttribute("aria-busy");
        }
      });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(preview, DEBOUNCE_MS);
  }

  // The inputs now follow the fact at once, so the round-trip button is not needed.
  if (config && factSelect && operatorSelect && slot) {
    var refresh = form.querySelector("[data-rule-refresh]");
    if (refresh) {
      refresh.parentNode.removeChild(refresh);
    }
    factSelect.addEventListener("change", function () {
      fillOperators();
      fitValueInputs();
    });
    operatorSelect.addEventListener("change", fitValueInputs);
  }
  Array.prototype.forEach.call(kindInputs, function (input) {
    input.addEventListener("change", function () {
      if (requirement) {
        requirement.setAttribute("data-kind", currentKind());
      }
      showWeight();
      fillOperators();
      fitValueInputs();
    });
  });
  showWeight();
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
})();
