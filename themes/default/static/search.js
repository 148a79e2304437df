// The search page: Pagefind's JS API (pagefind.js) with our own small result renderer (docs/search.md).
// - Excerpts are cut from the page's visible text only: the index copy puts the search aid between
//   AID_OPEN and AID_CLOSE (site_builder/search_index.py), and those words are never shown.
// - A table section's hit names the table, the row (code and name), the column and the figure, from
//   the table's cells file (pagefind/cells/<page>/<table>.json), fetched only for the sections shown.
// - Content is untrusted: every text is set with textContent; the only markup is the <mark> we create.
// - The bundle path is relative to this page, so the site works under any sub-path; the index is in
//   shards merged in the browser (loadPagefind).
(function () {
  "use strict";
  var root = document.getElementById("search");
  if (!root) return;
  var AID_OPEN = "\u27E6", AID_CLOSE = "\u27E7", ZWS = "\u200B";
  var PAGE_SIZE = 5, SUBS_SHOWN = 3, TABLE_HITS_SHOWN = 3;
  var bundle = new URL(root.getAttribute("data-bundle"), document.baseURI).href;
  var siteRoot = new URL("../", bundle).pathname;
  var results = [], shown = 0, generation = 0, selected = {};

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  // ---- the form -------------------------------------------------------------------------------
  var form = el("form", "search-form");
  form.setAttribute("role", "search");
  var input = el("input");
  input.id = "search-input"; input.type = "search"; input.name = "q"; input.autocomplete = "off";
  input.placeholder = "单位、科目、编码、金额、名词";
  var button = el("button", null, "搜索");
  button.type = "submit";
  form.append(input, button);
  var filters = el("details", "search-filters");
  filters.append(el("summary", null, "筛选（单位、年度、主管部门、地区、表）"));
  var status = el("p", "search-status");
  status.setAttribute("role", "status");
  var list = el("ol", "search-results");
  var more = el("button", "search-more", "显示更多结果");
  more.type = "button"; more.hidden = true;
  root.append(form, filters, status, list, more);
  var label = document.getElementById("search-label");
  if (label) label.setAttribute("for", "search-input");

  // the index is built in shards (pagefind/shards.json lists their folders). On a sharded portal
  // the search directory (pagefind/directory.json, site_builder/search_directory.py) says which
  // shards hold a query's keys: those are loaded, best first, a few at a time; without it (one
  // index) every shard is loaded. The first shard loaded gives Pagefind's script, the others are
  // merged into it, so one search covers every shard loaded and filters apply across them.
  var SHARD = /^[A-Za-z0-9_-]+\/$/;
  var FIRST_SHARDS = 1;  // shards loaded for a query before its first results are shown (more when none finds it)
  var loaded = [], loading = Promise.resolve(null), directory = null;

  function validShards(shards) {
    return Array.isArray(shards) && shards.length > 0 && shards.every(function (s) { return typeof s === "string" && SHARD.test(s); });
  }

  function shardUrls() {
    return fetch(bundle + "shards.json").then(function (response) {
      if (!response.ok) throw new Error("shards.json: " + response.status);
      return response.json();
    }).then(function (shards) {
      if (!validShards(shards)) throw new Error("shards.json: not a list of shard folders");
      return shards.map(function (s) { return new URL(s, bundle).href; });
    });
  }

  // the directory's manifest, or null when the portal has none (one index)
  function loadDirectory() {
    if (!directory) {
      directory = fetch(bundle + "directory.json").then(function (response) {
        return response.ok ? response.json() : null;
      }).then(function (manifest) {
        if (!manifest) return null;
        var bits = manifest.bits;
        if (manifest.version !== 2 || !Number.isInteger(bits) || bits < 0 || bits > 24 || !validShards(manifest.shards)) {
          throw new Error("directory.json: not a search directory");
        }
        return { bits: bits, shards: manifest.shards.map(function (s) { return new URL(s, bundle).href; }), buckets: {} };
      });
    }
    return directory;
  }

  // merge one more shard (in the order asked: loads run one after another)
  function loadShard(url) {
    var options = { baseUrl: siteRoot };  // results link to site paths below the site's root, whichever shard found them
    loading = loading.then(function (module) {
      if (loaded.indexOf(url) >= 0) return module;
      if (module) return module.mergeIndex(url, options).then(function () { loaded.push(url); return module; });
      return import(url + "pagefind.js").then(function (first) {
        // no web worker: it would download a second copy of Pagefind's script (41 kB) for a
        // search that takes milliseconds on the main thread (docs/search.md)
        return first.options(Object.assign({ noWorker: true }, options)).then(function () { return first.init(); })
          .then(function () { loaded.push(url); return first; });
      });
    });
    return loading;
  }

  function loadShards(urls) {
    urls.forEach(loadShard);
    return loading;
  }

  // every shard of the portal (filters list the values of all of them)
  function loadPagefind() {
    return loadDirectory().then(function (dir) { return dir ? dir.shards : shardUrls(); }).then(loadShards);
  }

  // ---- the directory: which shards can hold a query -----------------------------------------------
  var MAX_KEYS = 8;

  function fnv1a(key) {
    var hash = 0x811c9dc5;
    new TextEncoder().encode(key).forEach(function (byte) { hash = Math.imul(hash ^ byte, 0x01000193) >>> 0; });
    return hash >>> 0;
  }

  // the keys of a query, as search_directory.text_keys cuts a page: Chinese characters (one
  // alone, else adjacent pairs) and ASCII words and figures without separators, word by word as
  // Pagefind matches words (a page holding the query's words apart, not side by side, is found)
  function queryKeys(query) {
    var keys = [];
    function add(key) { if (key && keys.indexOf(key) < 0) keys.push(key); }
    segments(query).forEach(function (segment) {
      (segment.match(/[\u3400-\u9fff]+/g) || []).forEach(function (run) {
        if (run.length === 1) add(run);
        for (var i = 0; i + 1 < run.length; i++) add(run.slice(i, i + 2));
      });
      (segment.match(/[0-9A-Za-z][0-9A-Za-z.,]*/g) || []).forEach(function (token) {
        add(token.replace(/,/g, "").replace(/\.+$/, "").toLowerCase());
      });
    });
    if (keys.length <= MAX_KEYS) return keys;
    // any subset still finds every shard that holds the query: take them spread over it
    return Array.from({ length: MAX_KEYS }, function (_, i) { return keys[Math.round(i * (keys.length - 1) / (MAX_KEYS - 1))]; });
  }

  function bucketOf(dir, key) {
    var number = dir.bits ? fnv1a(key) >>> (32 - dir.bits) : 0;
    var name = number.toString(16).padStart(Math.max(1, Math.ceil(dir.bits / 4)), "0");
    if (!dir.buckets[name]) {
      dir.buckets[name] = fetch(bundle + "directory/" + name + ".json").then(function (response) {
        if (!response.ok) throw new Error("directory/" + name + ".json: " + response.status);
        return response.json();
      });
    }
    return dir.buckets[name].then(function (bucket) {
      var entry = Object.prototype.hasOwnProperty.call(bucket, key) ? bucket[key] : null;
      return Array.isArray(entry) && entry.every(Number.isInteger) ? heldBy(entry, dir.shards.length) : null;
    });
  }

  // shard -> pages of a bucket's entry (search_directory.encode_entry): [shard, pages, …], or
  // [-1, pages of every shard in order] (0: not held) where that is shorter
  function heldBy(entry, shards) {
    var here = {};
    if (entry[0] === -1) {
      if (entry.length !== shards + 1) return null;
      for (var s = 0; s < shards; s++) if (entry[s + 1] > 0) here[s] = entry[s + 1];
      return here;
    }
    if (entry.length % 2) return null;
    for (var i = 0; i + 1 < entry.length; i += 2) here[entry[i]] = entry[i + 1];
    return here;
  }

  // the shards to search for a query, best first (``order``): those that hold every key the portal holds
  // (a key no page holds is left out, as Pagefind leaves out a word its index does not hold), the
  // shard whose rarest key is on most pages first; all shards, newest first, when the portal holds none
  function route(dir, query) {
    var keys = queryKeys(query);
    return Promise.all(keys.map(function (key) { return bucketOf(dir, key); })).then(function (entries) {
      var held = entries.filter(Boolean), pages = {};
      held.forEach(function (here, n) {
        Object.keys(pages).forEach(function (shard) { if (!(shard in here)) delete pages[shard]; else pages[shard] = Math.min(pages[shard], here[shard]); });
        if (n === 0) Object.keys(here).forEach(function (shard) { pages[shard] = here[shard]; });
      });
      var order = held.length ? Object.keys(pages).map(Number) : dir.shards.map(function (_, i) { return i; });
      order = order.filter(function (i) { return i >= 0 && i < dir.shards.length; });
      order.sort(function (a, b) { return (held.length ? pages[b] - pages[a] : 0) || b - a; });
      return { order: order.map(function (i) { return dir.shards[i]; }), routed: held.length > 0 };
    });
  }

  // ---- queries --------------------------------------------------------------------------------
  var HAN = /[\u3400-\u9fff]+/g;
  var FIGURE = /^-?[\d,，]*\d(?:\.\d+)?$/;

  function normalizeQuery(query) {
    // a figure is found with or without 万元/元 and separators; the index holds both forms
    return query.replace(/[\s\u3000]+/g, " ").replace(/(\d)\s*(?:万元|元)/g, "$1").replace(/，/g, ",").trim();
  }

  function singleCharacters(query) {
    // every position of an aided text starts an indexed word, so one character always matches
    // (search_aid.py): the fallback when the browser's and the index's word splitting disagree
    return query.replace(HAN, function (run) { return " " + run.split("").join(" ") + " "; }).trim();
  }

  // the words Pagefind looks up for a query: it cuts it with Intl.Segmenter in the index's language
  // and drops punctuation inside a word (13,708.28 is one word, 1370828)
  function segments(query) {
    return typeof Intl !== "undefined" && Intl.Segmenter
      ? Array.from(new Intl.Segmenter("zh-CN", { granularity: "word" }).segment(query), function (s) { return s.segment; })
      : query.split(/\s+/);
  }

  function queryWords(query) {
    var words = [];
    segments(query).forEach(function (piece) {
      var w = piece.replace(/[\p{P}\s]/gu, "");
      if (w && words.indexOf(w) < 0) words.push(w);
    });
    return words;
  }

  // Pagefind leaves out a query word that its index does not hold. Each shard decides that alone, so
  // a shard without a rare word would return pages holding only the other words. As one index would:
  // keep only the pages found by every word that some shard holds (found with no filters, so a word
  // is "held" whatever the filters). It loads more index chunks on long queries (docs/search.md).
  function searchAllShards(pf, query, options) {
    var words = queryWords(query);
    return pf.search(query, options).then(function (found) {
      if (loaded.length < 2 || words.length < 2 || !found.results.length) return found;  // one index decides alone
      return Promise.all(words.map(function (w) { return pf.search(w); })).then(function (perWord) {
        var held = perWord.filter(function (f) { return f.results.length; }).map(function (f) {
          return new Set(f.results.map(function (r) { return r.id; }));
        });
        var kept = found.results.filter(function (r) { return held.every(function (ids) { return ids.has(r.id); }); });
        return Object.assign({}, found, { results: kept });
      });
    });
  }

  function searchLoaded(pf, normalized) {
    var options = { filters: activeFilters() };
    return searchAllShards(pf, normalized, options).then(function (found) {
      if (found.results.length || !/[\u3400-\u9fff]{2}/.test(normalized)) return found;
      return searchAllShards(pf, singleCharacters(normalized), options);
    });
  }

  // the shards a query still has to search (empty once every shard that can hold it is loaded)
  var pending = [], searched = 0;

  // the shards to search for a query and how many to load before showing results: without a
  // directory every shard at once; with one, those that can hold the query, a few at first (all of
  // them when a filter is set, so that its counts are the portal's). ``routed``: the directory
  // knew a key of the query, so every shard in ``order`` can hold it
  function plan(normalized) {
    return loadDirectory().then(function (dir) {
      if (!dir) return shardUrls().then(function (urls) { return { order: urls, first: urls.length, routed: true }; });
      return route(dir, normalized).then(function (routing) {
        var filtered = Object.keys(activeFilters()).length > 0;
        return { order: routing.order, first: filtered ? routing.order.length : FIRST_SHARDS, routed: routing.routed };
      });
    });
  }

  function search(query) {
    var mine = ++generation;
    var normalized = normalizeQuery(query);
    if (!normalized) { list.textContent = ""; status.textContent = ""; more.hidden = true; return; }
    status.textContent = "正在搜索……";
    root.setAttribute("data-state", "searching");
    var routed = true;
    plan(normalized).then(function (p) {
      var first = p.order.slice(0, p.first);
      routed = p.routed;
      return loadShards(first).then(function (pf) {
        if (mine !== generation) return null;
        pending = p.order.slice(first.length).filter(function (url) { return loaded.indexOf(url) < 0; });
        searched = p.order.length - pending.length;
        return pf && first.length ? searchLoaded(pf, normalized) : { results: [] };
      });
    }).then(function (found) {
      if (!found || mine !== generation) return;
      results = found.results; shown = 0; list.textContent = "";
      report(query);
      if (results.length) showMore(normalized, mine);
      // every shard left can hold the query: go on until one finds it (not when the directory
      // knew none of its keys: that could load every shard of the portal)
      else if (pending.length && routed) searchFurther(query, normalized, mine);
      else root.setAttribute("data-state", "ready");
    }).catch(function (error) {
      status.textContent = "搜索出错：" + error;
    });
  }

  function report(query) {
    var total = searched + pending.length;
    if (pending.length) {
      status.textContent = "找到至少 " + results.length + " 个页面（已搜索 " + searched + " / " + total + " 个索引分片）：" + query;
    } else {
      status.textContent = results.length ? "找到 " + results.length + " 个页面：" + query : "没有找到与“" + query + "”相关的内容。";
    }
    more.hidden = shown >= results.length && !pending.length;
  }

  // load the next shard that can hold the query and add the pages it finds to the results
  function searchFurther(query, normalized, mine) {
    var url = pending.shift();
    searched += 1;
    root.setAttribute("data-state", "searching");
    return loadShard(url).then(function (pf) { return searchLoaded(pf, normalized); }).then(function (found) {
      if (mine !== generation) return;
      var known = new Set(results.map(function (r) { return r.id; }));
      results = results.concat(found.results.filter(function (r) { return !known.has(r.id); }));
      report(query);
      if (shown < results.length) showMore(normalized, mine);
      else if (pending.length) searchFurther(query, normalized, mine);
      else root.setAttribute("data-state", "ready");
    }).catch(function (error) {
      status.textContent = "搜索出错：" + error;
    });
  }

  function showMore(query, mine) {
    var batch = results.slice(shown, shown + PAGE_SIZE);
    shown += batch.length;
    more.hidden = shown >= results.length && !pending.length;
    root.setAttribute("data-state", "searching");
    Promise.all(batch.map(function (r) { return r.data(); })).then(function (pages) {
      return Promise.all(pages.map(function (page) { return describe(page, query); }));
    }).then(function (described) {
      if (mine !== generation) return;
      described.forEach(function (item) { place(item); });
      root.setAttribute("data-state", "ready");
    });
  }

  // ---- a page's visible words -------------------------------------------------------------------
  // raw_content: the indexed text with a zero-width space between words and < > escaped;
  // content: the same text without those; walking both gives the words exactly.
  function words(page) {
    var raw = page.raw_content, text = page.content, out = [], word = "", i = 0, j = 0, hidden = false;
    var visible = [], current = "";
    while (i < raw.length) {
      if (raw[i] === ZWS) { out.push(word); visible.push(current); word = ""; current = ""; i++; continue; }
      var ch;
      if (raw.startsWith("&lt;", i) && text[j] === "<") { ch = "<"; i += 4; }
      else if (raw.startsWith("&gt;", i) && text[j] === ">") { ch = ">"; i += 4; }
      else { ch = raw[i]; i++; }
      j++;
      word += ch;
      if (ch === AID_OPEN) hidden = true;
      else if (ch === AID_CLOSE) hidden = false;
      else if (!hidden) current += ch;
    }
    out.push(word); visible.push(current);
    // Pagefind ends a block without punctuation with ". ": not on the page, so not shown
    return visible.map(function (w) { return w === ". " ? " " : w; });
  }

  function sectionText(visible, start, end) {
    return visible.slice(start, end).join("").replace(/\s+/g, " ").trim();
  }

  // ---- excerpts -------------------------------------------------------------------------------
  function figurePattern(query) {
    var digits = query.replace(/,/g, "");
    var parts = digits.split(".");
    var whole = parts[0].replace(/^-/, "").split("").join(",?");
    return new RegExp("(?<![\\d.,])-?" + whole + (parts[1] ? "\\." + parts[1] : "") + "(?![\\d])", "g");
  }

  function escapeRegExp(text) { return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

  function needles(query) {
    if (FIGURE.test(query)) return [figurePattern(query)];
    var all = [new RegExp(escapeRegExp(query), "g")];
    var terms = query.split(" ").filter(function (t) { return t.length > 1; });
    if (typeof Intl !== "undefined" && Intl.Segmenter) {
      var segmenter = new Intl.Segmenter("zh", { granularity: "word" });
      query.split(" ").forEach(function (t) {
        Array.from(segmenter.segment(t)).forEach(function (s) { if (s.isWordLike && s.segment !== t) terms.push(s.segment); });
      });
    }
    terms.sort(function (a, b) { return b.length - a.length; });
    terms.forEach(function (t) { all.push(new RegExp(escapeRegExp(t), "g")); });
    return all;
  }

  // the stretch of ``text`` around the first match of the first needle that matches, with the matches marked
  function excerpt(text, patterns) {
    for (var n = 0; n < patterns.length; n++) {
      patterns[n].lastIndex = 0;
      var first = patterns[n].exec(text);
      if (!first) continue;
      var from = Math.max(0, first.index - 24), to = Math.min(text.length, first.index + first[0].length + 48);
      var piece = text.slice(from, to);
      var node = el("p", "search-excerpt");
      if (from > 0) node.classList.add("cut-start");
      if (to < text.length) node.classList.add("cut-end");
      var at = 0, match, pattern = new RegExp(patterns[n].source, "g");
      while ((match = pattern.exec(piece)) && match[0].length) {
        node.append(document.createTextNode(piece.slice(at, match.index)), el("mark", null, match[0]));
        at = match.index + match[0].length;
      }
      node.append(document.createTextNode(piece.slice(at)));
      return node;
    }
    return null;
  }

  function cellsFor(page, anchorId) {
    var path = page.url.indexOf(siteRoot) === 0 ? page.url.slice(siteRoot.length) : page.url.replace(/^\//, "");
    path = path.split("#")[0].replace(/index\.html$/, "");
    return fetch(bundle + "cells/" + path + anchorId + ".json").then(function (r) { return r.ok ? r.json() : null; })
      .catch(function () { return null; });
  }

  function sameFigure(shown, query) {
    var a = Number(shown.replace(/,/g, "")), b = Number(query.replace(/,/g, ""));
    return !isNaN(a) && !isNaN(b) && a === b;
  }

  // where the query stands in a table: matched figures, rows (by code or name), columns
  function tableHits(table, query) {
    var hits = [];
    var figures = table.figures || [], rows = table.rows || [], columns = table.columns || [];
    if (FIGURE.test(query)) {
      figures.forEach(function (f) {
        if (sameFigure(f[2], query)) hits.push({ row: rows[f[0]], column: columns[f[1]], figure: f[2], markFigure: true });
      });
    }
    rows.forEach(function (row, index) {
      if (row[0] === query || (query.length > 1 && row[1].indexOf(query) >= 0)) {
        var f = figures.find(function (x) { return x[0] === index; });
        hits.push({ row: row, column: f ? columns[f[1]] : null, figure: f ? f[2] : null, markRow: true });
      }
    });
    if (!hits.length && query.length > 1) {
      columns.forEach(function (column, index) {
        if (column.join("").indexOf(query) >= 0) {
          var f = figures.find(function (x) { return x[1] === index; });
          hits.push({ row: f ? rows[f[0]] : null, column: column, figure: f ? f[2] : null, markColumn: true });
        }
      });
    }
    return hits.slice(0, TABLE_HITS_SHOWN);
  }

  function part(text, className, marked) {
    var node = el(marked ? "mark" : "span", "hit-part " + className, text);
    return node;
  }

  function tableExcerpt(table, hits, query) {
    var box = el("ul", "search-table-hits");
    hits.forEach(function (hit) {
      var item = el("li");
      item.append(part(table.title, "hit-table"));
      if (hit.row && (hit.row[0] || hit.row[1])) {
        item.append(document.createTextNode(" · "));
        if (hit.row[0]) item.append(part(hit.row[0], "hit-code", hit.markRow && hit.row[0] === query), document.createTextNode(" "));
        if (hit.row[1]) item.append(part(hit.row[1], "hit-row", hit.markRow && hit.row[0] !== query));
      }
      if (hit.column && hit.column.length) {
        item.append(document.createTextNode(" · "));
        hit.column.forEach(function (label, i) {
          if (i) item.append(document.createTextNode(" "));
          item.append(part(label, "hit-column", hit.markColumn));
        });
      }
      if (hit.figure) item.append(document.createTextNode("："), part(hit.figure, "hit-figure", hit.markFigure));
      box.append(item);
    });
    return box;
  }

  // ---- one result -------------------------------------------------------------------------------
  function partOf(page, location) {
    var found = null;
    page.anchors.forEach(function (a) { if (a.location <= location && /^part-/.test(a.id)) found = a; });
    return found;
  }

  // a section runs to the next heading, and at least past the words Pagefind matched in it
  function sectionEnd(page, sub) {
    var start = sub.anchor.location, end = Infinity;
    page.anchors.forEach(function (a) {
      if (/^h[1-6]$/i.test(a.element) && a.location > start && a.location < end) end = a.location;
    });
    return Math.max(end, Math.max.apply(null, (sub.locations || []).concat([start])) + 1);
  }

  // which needle a text matches first (0: the whole query), or the number of needles if none
  function rank(text, patterns) {
    for (var n = 0; n < patterns.length; n++) {
      patterns[n].lastIndex = 0;
      if (patterns[n].test(text)) return n;
    }
    return patterns.length;
  }

  function describe(page, query) {
    var visible = words(page), patterns = needles(query);
    var subs = (page.sub_results || []).filter(function (s) { return s.anchor; }).map(function (sub, order) {
      var text = sectionText(visible, sub.anchor.location, sectionEnd(page, sub));
      return { sub: sub, text: text, rank: rank(text, patterns), order: order };
    });
    subs.sort(function (a, b) { return a.rank - b.rank || a.order - b.order; });
    var item = { page: page, subs: [] };
    var jobs = subs.slice(0, SUBS_SHOWN).map(function (s) {
      var entry = { sub: s.sub, part: partOf(page, s.sub.anchor.location), excerpt: excerpt(s.text, patterns) };
      item.subs.push(entry);
      if (!/^table-/.test(s.sub.anchor.id)) return null;
      return cellsFor(page, s.sub.anchor.id).then(function (table) {
        var hits = table ? tableHits(table, query) : [];
        if (hits.length) entry.table = tableExcerpt(table, hits, query);
      });
    });
    if (!item.subs.length) item.excerpt = excerpt(sectionText(visible, 0, visible.length), patterns);
    return Promise.all(jobs).then(function () { return item; });
  }

  function filterValue(page, name) {
    var values = (page.filters || {})[name];
    return values && values.length ? values[0] : "";
  }

  function groupFor(page) {
    var unit = filterValue(page, "单位"), year = filterValue(page, "年度");
    var key = unit && year ? unit + "\u0000" + year : page.url;
    var existing = Array.from(list.children).find(function (li) { return li.dataset.key === key; });
    if (existing) return existing.querySelector(".search-group-pages");
    var group = el("li", "search-group");
    group.dataset.key = key;
    if (unit && year) {
      var heading = el("h2", "search-group-title");
      heading.append(el("span", "search-unit", unit), document.createTextNode(" · "), el("span", "search-year", year + "年度"));
      group.append(heading);
    }
    var pages = el("ol", "search-group-pages");
    group.append(pages);
    list.append(group);
    return pages;
  }

  function place(item) {
    var page = item.page, entry = el("li", "search-result");
    var title = el("h3", "search-result-title");
    var link = el("a", "search-result-link", (page.meta && page.meta.title) || page.url);
    link.href = page.url;
    title.append(link);
    entry.append(title);
    if (item.excerpt) entry.append(item.excerpt);
    if (item.subs.length) {
      var subs = el("ul", "search-subs");
      item.subs.forEach(function (s) {
        var li = el("li", "search-sub");
        var a = el("a", "search-sub-link");
        a.href = s.sub.url;
        if (s.part && s.part.id !== s.sub.anchor.id) {
          a.append(el("span", "search-part", s.part.text), document.createTextNode(" › "));
        }
        a.append(el("span", "search-section", s.sub.anchor.text || s.sub.title));
        li.append(a);
        if (s.table) li.append(s.table);
        else if (s.excerpt) li.append(s.excerpt);
        subs.append(li);
      });
      entry.append(subs);
    }
    groupFor(page).append(entry);
  }

  // ---- filters (loaded when the panel is opened) -------------------------------------------------
  function activeFilters() {
    var out = {};
    Object.keys(selected).forEach(function (name) { if (selected[name].length) out[name] = { any: selected[name] }; });
    return out;
  }

  var filtersLoaded = false;
  filters.addEventListener("toggle", function () {
    if (!filters.open || filtersLoaded) return;
    filtersLoaded = true;
    loadPagefind().then(function (pf) { return pf.filters(); }).then(function (available) {
      Object.keys(available).sort().forEach(function (name) {
        var set = el("fieldset", "search-filter");
        set.append(el("legend", null, name));
        Object.keys(available[name]).sort().forEach(function (value) {
          var option = el("label");
          var box = el("input");
          box.type = "checkbox";
          box.addEventListener("change", function () {
            selected[name] = (selected[name] || []).filter(function (v) { return v !== value; });
            if (box.checked) selected[name].push(value);
            search(input.value);
          });
          option.append(box, document.createTextNode(" " + value + "（" + available[name][value] + "）"));
          set.append(option);
        });
        filters.append(set);
      });
    });
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    search(input.value);
  });
  var typing = null;
  input.addEventListener("input", function () {
    clearTimeout(typing);
    typing = setTimeout(function () { search(input.value); }, 300);
  });
  more.addEventListener("click", function () {
    var normalized = normalizeQuery(input.value);
    if (shown < results.length) showMore(normalized, generation);
    else if (pending.length) searchFurther(input.value, normalized, generation);
  });

  var query = new URLSearchParams(window.location.search).get("q");
  if (query) { input.value = query; search(query); }
  input.focus();
})();
