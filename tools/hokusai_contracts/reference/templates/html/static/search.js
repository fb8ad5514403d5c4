/* Client-side search of the reference: no network, no dependencies. The index is the global
   HOKUSAI_SEARCH_INDEX that search-index.js defines (a <script>, so it also loads from file://). */
(function () {
  "use strict";
  var LIMIT = 20;
  var records = window.HOKUSAI_SEARCH_INDEX || [];
  var form = document.getElementById("search-form");
  var input = document.getElementById("search-input");
  var list = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  if (!form || !input || !list) {
    return;
  }

  // Lower is better: the name itself, then its start, then anywhere in a name, path or summary.
  function rank(record, query) {
    var name = record.name.toLowerCase();
    if (name === query) {
      return 0;
    }
    if (name.indexOf(query) === 0) {
      return 1;
    }
    if (name.indexOf(query) >= 0) {
      return 2;
    }
    var paths = [record.path].concat(record.exports);
    for (var i = 0; i < paths.length; i += 1) {
      if (paths[i].toLowerCase().indexOf(query) >= 0) {
        return 3;
      }
    }
    return record.summary.toLowerCase().indexOf(query) >= 0 ? 4 : -1;
  }

  function search(text) {
    var query = text.trim().toLowerCase();
    if (!query) {
      return [];
    }
    var found = [];
    records.forEach(function (record) {
      var score = rank(record, query);
      if (score >= 0) {
        found.push({ score: score, record: record });
      }
    });
    found.sort(function (a, b) {
      return a.score - b.score || a.record.path.length - b.record.path.length ||
        (a.record.path < b.record.path ? -1 : a.record.path > b.record.path ? 1 : 0);
    });
    return found.map(function (item) { return item.record; });
  }

  function show(text) {
    var results = search(text);
    list.textContent = "";
    results.slice(0, LIMIT).forEach(function (record) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = record.url;
      var code = document.createElement("code");
      code.textContent = record.path;
      link.appendChild(code);
      var kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = " " + record.kind;
      item.appendChild(link);
      item.appendChild(kind);
      list.appendChild(item);
    });
    if (!text.trim()) {
      status.textContent = "";
    } else if (!results.length) {
      status.textContent = "No results for \u201c" + text.trim() + "\u201d.";
    } else {
      var shown = Math.min(results.length, LIMIT);
      status.textContent = results.length + " result" + (results.length === 1 ? "" : "s") +
        (results.length > shown ? ", the first " + shown + " shown" : "") + ".";
    }
  }

  input.addEventListener("input", function () { show(input.value); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var first = list.querySelector("a");
    if (first) {
      window.location.href = first.href;
    }
  });
  var initial = new URLSearchParams(window.location.search).get("q");
  if (initial) {
    input.value = initial;
    show(initial);
  }
})();
