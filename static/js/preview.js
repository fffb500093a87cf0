/*
 * Live eligibility preview, as progressive enhancement of the server-rendered sidebar.
 *
 * The page embeds the saved facts (json_script "preview-facts"). As the vendor types, this
 * script overlays the section form's fact inputs (marked data-fact) on them, posts the result to
 * the public eligibility endpoint once per open program, and redraws the sidebar from the
 * answers. The endpoint runs the same engine as the server-rendered preview: this script never
 * decides eligibility itself. Without it, the sidebar shows the saved profile.
 */
(function () {
  "use strict";

  var aside = document.querySelector("[data-preview]");
  var form = document.querySelector("form[data-preview-form]");
  var factsNode = document.getElementById("preview-facts");
  var wordsNode = document.getElementById("preview-strings");
  if (!aside || !form || !factsNode || !wordsNode || !window.fetch || !window.Promise) {
    return;
  }

  var DEBOUNCE_MS = 300;
  var saved = JSON.parse(factsNode.textContent);
  var words = JSON.parse(wordsNode.textContent);
  var endpoint = aside.getAttribute("data-endpoint");
  var items = Array.prototype.slice.call(aside.querySelectorAll("[data-program]"));
  var status = aside.querySelector("[data-preview-status]");
  var note = aside.querySelector("[data-preview-note]");
  var savedBody = JSON.stringify(saved);
  var lastBody = savedBody; // the server rendered the sidebar from exactly these facts
  var generation = 0;
  var timer = null;

  if (!items.length) {
    return;
  }

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (match, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : match;
    });
  }

  // A number the field accepts, or null (unknown) while it is empty or not valid yet: an
  // unknown fact is honest, a half-typed year is not a fact.
  function readInteger(input) {
    var raw = input.value.trim();
    if (!/^-?\d+$/.test(raw)) {
      return null;
    }
    var number = parseInt(raw, 10);
    if (input.min !== "" && number < Number(input.min)) {
      return null;
    }
    if (input.max !== "" && number > Number(input.max)) {
      return null;
    }
    return number;
  }

  function readChoice(name, value) {
    if (value === "") {
      return null;
    }
    if (name === "has_demo") {
      return value === "yes" ? true : value === "no" ? false : null;
    }
    if (name === "trl") {
      return parseInt(value, 10);
    }
    return value;
  }

  function collect() {
    var facts = {};
    Object.keys(saved).forEach(function (key) {
      facts[key] = saved[key];
    });
    var started = {};
    Array.prototype.forEach.call(form.querySelectorAll("[data-fact]"), function (input) {
      var name = input.getAttribute("data-fact");
      if (input.type === "checkbox") {
        if (!started[name]) {
          facts[name] = [];
          started[name] = true;
        }
        if (input.checked) {
          facts[name].push(input.value);
        }
      } else if (input.type === "radio") {
        if (!started[name]) {
          facts[name] = null;
          started[name] = true;
        }
        if (input.checked) {
          facts[name] = readChoice(name, input.value);
        }
      } else if (input.type === "number" || input.getAttribute("inputmode") === "numeric") {
        facts[name] = readInteger(input);
      } else {
        facts[name] = readChoice(name, input.value);
      }
    });
    // No sectors ticked is "not told yet", as on the server.
    if (Array.isArray(facts.sectors)) {
      facts.sectors = facts.sectors.length ? facts.sectors.sort() : null;
    }
    // A partner being added or edited: its country joins the others'.
    var country = form.querySelector('[data-fact-partner="country"]');
    if (country) {
      var code = country.value;
      var linked = form.querySelector('[data-fact-partner="linked"]');
      if (!code && linked && linked.selectedIndex > 0) {
        code = linked.options[linked.selectedIndex].getAttribute("data-country") || "";
      }
      if (code) {
        var codes = (facts.partner_countries || []).slice();
        if (codes.indexOf(code) < 0) {
          codes.push(code);
        }
        facts.partner_countries = codes.sort();
      }
    }
    return facts;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  function drawIssues(list, report) {
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    report.criteria.forEach(function (criterion) {
      if (criterion.kind !== "gate" || criterion.outcome === "pass") {
        return;
      }
      var issue = element("li", "issue issue-" + criterion.outcome);
      issue.appendChild(element("span", "issue-outcome", words[criterion.outcome] || ""));
      issue.appendChild(document.createTextNode(" " + criterion.message));
      if (criterion.fixes.length) {
        var fixes = element("ul", "fixes");
        criterion.fixes.forEach(function (fix) {
          fixes.appendChild(element("li", "", fix));
        });
        issue.appendChild(fixes);
      }
      list.appendChild(issue);
    });
  }

  function draw(reports) {
    var changes = [];
    reports.forEach(function (report, index) {
      var item = items[index];
      var before = item.getAttribute("data-eligibility");
      item.setAttribute("data-eligibility", report.eligibility);
      var badge = item.querySelector("[data-preview-badge]");
      badge.className = "badge badge-" + report.eligibility;
      badge.textContent = words[report.eligibility];
      item.querySelector("[data-preview-score]").textContent =
        report.score === null ? "" : format(words.score, { score: Math.round(report.score) });
      drawIssues(item.querySelector("[data-preview-issues]"), report);
      if (before !== report.eligibility) {
        changes.push(
          format(words.now, {
            program: item.getAttribute("data-title"),
            eligibility: words[report.eligibility],
          })
        );
      }
    });
    // Polite and only on a change of verdict: a screen reader is not interrupted per keystroke.
    if (changes.length) {
      status.textContent = changes.join(" ");
    }
  }

  function check(slug, body) {
    return fetch(endpoint.replace("__slug__", encodeURIComponent(slug)), {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: body,
      credentials: "omit", // the endpoint is anonymous; no cookie, so no CSRF token needed
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("eligibility check answered " + response.status);
      }
      return response.json();
    });
  }

  function refresh() {
    var body = JSON.stringify(collect());
    if (body === lastBody) {
      return;
    }
    lastBody = body;
    var mine = ++generation;
    aside.setAttribute("aria-busy", "true");
    Promise.all(
      items.map(function (item) {
        return check(item.getAttribute("data-program"), body);
      })
    )
      .then(function (reports) {
        if (mine !== generation) {
          return; // a newer check is under way; its answer wins
        }
        draw(reports);
        note.textContent = body === savedBody ? words.saved : words.typed;
      })
      .catch(function () {
        if (mine !== generation) {
          return;
        }
        lastBody = null; // try again on the next change
        note.textContent = words.paused;
      })
      .then(function () {
        if (mine === generation) {
          aside.removeAttribute("aria-busy");
        }
      });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, DEBOUNCE_MS);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  // A form sent back with errors holds what was typed, not what was saved.
  refresh();
})();
