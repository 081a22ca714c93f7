/* Site search for the page /LANG/search/.
 *
 * Over http(s) it uses Pagefind (the bundle in /pagefind/, index of the page's language).
 * From file://, or when Pagefind cannot load, it searches the small fallback index
 * /LANG/search/index.js (titles, tags, dates, summaries), loaded with a plain <script>.
 * Every URL it uses comes from data- attributes of #search-results, written relative to the
 * page, so nothing is ever requested from another host. No inline script: the page's CSP
 * allows scripts from the site itself only.
 */
(function () {
  "use strict";

  var box = document.getElementById("search-results");
  var form = document.getElementById("search-form");
  var input = document.getElementById("search-input");
  if (!box || !form || !input) {
    return;
  }
  var data = box.dataset;
  var lang = data.lang || document.documentElement.lang || "en";
  var root = (data.root || "").replace(/index\.html$/, "");
  var portable = data.portable === "true";
  var LIMIT = 50;
  var PAGEFIND_WAIT_MS = 8000;

  // --- engines: each has search(query) -> Promise of [{url, title, date, text, html}] -------

  var fallbackEngine = {
    name: "fallback",
    items: null,
    load: function () {
      var self = this;
      if (self.items) {
        return Promise.resolve(self);
      }
      return new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = data.index;
        script.onload = function () {
          var index = window.vestkaSearch;
          if (!index || !Array.isArray(index.items)) {
            reject(new Error("search index is empty"));
            return;
          }
          self.items = index.items.map(function (item, order) {
            return {
              item: item,
              order: order,
              title: fold(item.title),
              tags: fold((item.tags || []).join(" ")),
              summary: fold(item.summary || "")
            };
          });
          resolve(self);
        };
        script.onerror = function () {
          reject(new Error("search index could not be loaded"));
        };
        document.head.appendChild(script);
      });
    },
    search: function (query) {
      var words = terms(query);
      var found = [];
      this.items.forEach(function (entry) {
        var score = 0;
        for (var i = 0; i < words.length; i++) {
          var w = words[i];
          var hit = (entry.title.indexOf(w) >= 0 ? 3 : 0) + (entry.tags.indexOf(w) >= 0 ? 2 : 0) +
            (entry.summary.indexOf(w) >= 0 ? 1 : 0);
          if (!hit) {
            return;  // every word must occur somewhere
          }
          score += hit;
        }
        found.push({ score: score, entry: entry });
      });
      found.sort(function (a, b) {
        return b.score - a.score || (a.entry.item.date < b.entry.item.date ? 1 : a.entry.item.date > b.entry.item.date ? -1 : 0) ||
          a.entry.order - b.entry.order;
      });
      return Promise.resolve(found.map(function (f) {
        var item = f.entry.item;
        return { url: item.url, title: item.title, date: item.date, text: item.summary || "", html: null };
      }));
    }
  };

  var pagefindEngine = {
    name: "pagefind",
    api: null,
    load: function () {
      var self = this;
      if (location.protocol !== "http:" && location.protocol !== "https:") {
        return Promise.reject(new Error("Pagefind needs http(s)"));
      }
      var url = new URL(data.pagefind, document.baseURI).href;
      var loading = import(url).then(function (api) {
        return Promise.resolve(api.options({ excerptLength: 30 })).then(function () {
          return Promise.resolve(api.init());
        }).then(function () {
          // One real search proves the index and its WebAssembly loaded (the CSP may forbid it).
          return api.search("a");
        }).then(function () {
          self.api = api;
          return self;
        });
      });
      return withTimeout(loading, PAGEFIND_WAIT_MS);
    },
    search: function (query) {
      return this.api.search(query).then(function (search) {
        if (!search || !search.results) {
          return [];
        }
        return Promise.all(search.results.slice(0, LIMIT).map(function (r) {
          return r.data();
        })).then(function (pages) {
          return pages.map(function (page) {
            var meta = page.meta || {};
            return { url: pageUrl(page.url), title: meta.title || page.url, date: meta.date || "", text: "", html: page.excerpt || "" };
          });
        });
      });
    }
  };

  function withTimeout(promise, ms) {
    return new Promise(function (resolve, reject) {
      var timer = setTimeout(function () {
        reject(new Error("timed out"));
      }, ms);
      promise.then(function (value) {
        clearTimeout(timer);
        resolve(value);
      }, function (error) {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  // Pagefind gives URLs from the site root ("/en/2011/03/a/"); links stay relative to this page.
  function pageUrl(url) {
    var rel = root + String(url).replace(/^\/+/, "");
    if (portable && /\/$/.test(rel)) {
      rel += "index.html";
    }
    return rel;
  }

  var engine = null;

  function chooseEngine() {
    if (!engine) {
      engine = pagefindEngine.load().catch(function () {
        return fallbackEngine.load();
      });
    }
    return engine;
  }

  // --- text helpers -------------------------------------------------------------------------

  function fold(text) {
    return String(text).normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function terms(query) {
    return fold(query).split(/[\s.,;:!?"'«»„“”()\[\]{}]+/).filter(function (w) {
      return w.length > 0;
    });
  }

  function formatDate(iso) {
    if (!iso) {
      return "";
    }
    try {
      var parts = iso.split("-").map(Number);
      return new Date(Date.UTC(parts[0], parts[1] - 1, parts[2])).toLocaleDateString(lang, {
        year: "numeric", month: "long", day: "numeric", timeZone: "UTC"
      });
    } catch (e) {
      return iso;
    }
  }

  // Pagefind's excerpt is HTML with <mark>; keep only its text and the marks.
  function appendExcerpt(parent, html) {
    var doc = new DOMParser().parseFromString("<body>" + html + "</body>", "text/html");
    doc.body.childNodes.forEach(function (node) {
      if (node.nodeType === 1 && node.nodeName === "MARK") {
        var mark = document.createElement("mark");
        mark.textContent = node.textContent;
        parent.appendChild(mark);
      } else {
        parent.appendChild(document.createTextNode(node.textContent));
      }
    });
  }

  // --- showing results ----------------------------------------------------------------------

  var latest = 0;

  function show(results, chosen) {
    box.textContent = "";
    box.dataset.engine = chosen.name;
    var count = document.createElement("p");
    count.className = "search-count";
    count.textContent = results.length ? (data.found || "{n}").replace("{n}", String(results.length)) : data.none;
    box.appendChild(count);
    if (!results.length) {
      return;
    }
    var list = document.createElement("ol");
    list.className = "search-results-list";
    results.slice(0, LIMIT).forEach(function (r) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = r.url;
      a.textContent = r.title;
      li.appendChild(a);
      if (r.date) {
        li.appendChild(document.createTextNode(" "));
        var time = document.createElement("time");
        time.dateTime = r.date;
        time.textContent = formatDate(r.date);
        li.appendChild(time);
      }
      if (r.html || r.text) {
        var p = document.createElement("p");
        if (r.html) {
          appendExcerpt(p, r.html);
        } else {
          p.textContent = r.text;
        }
        li.appendChild(p);
      }
      list.appendChild(li);
    });
    box.appendChild(list);
  }

  function run(query) {
    var ticket = ++latest;
    if (!terms(query).length) {
      box.textContent = "";
      return;
    }
    box.setAttribute("aria-busy", "true");
    chooseEngine().then(function (chosen) {
      return chosen.search(query).then(function (results) {
        if (ticket === latest) {
          show(results, chosen);
        }
      });
    }).catch(function () {
      if (ticket === latest) {
        box.textContent = data.none || "";
      }
    }).then(function () {
      if (ticket === latest) {
        box.removeAttribute("aria-busy");
      }
    });
  }

  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      run(input.value);
    }, 150);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    run(input.value);
  });

  var initial = new URLSearchParams(location.search).get("q");
  if (initial) {
    input.value = initial;
    run(initial);
  }
})();
