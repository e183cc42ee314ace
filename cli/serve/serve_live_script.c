/*
 * serve_live_script.c — what serve's page adds at its end for the live
 * panels (serve_live.c): their style, the bar with the write token and
 * the auto-refresh switch, and the script. The script fetches GET /live
 * every 15 s and swaps each database's section for the new one (parsed
 * by DOMParser, which runs nothing), sorts a table by a clicked heading,
 * and sends a cancel or terminate button's POST with the token as a
 * bearer header: a header no form of another site can send, and a
 * cross-origin fetch with it needs a CORS preflight serve never grants.
 * The token stays in the tab's sessionStorage, never in a URL. No text
 * of the database is put into markup by the script.
 */
#include "serve.h"

const char serve_live_tail[] =
    "<style>" 
    "section.live{border-top:2px solid #ccd;margin-top:1.5em}.live .panel{margin:1em 0}.live .what{color:#555;font-size:.9em;margin:.2em 0}.live-table td{max-width:50em;overflow-wrap:anywhere;vertical-align:top}.live-table th{cursor:pointer}.live .enable{background:#fff6d5;padding:.4em}#live-bar{position:fixed;bottom:0;left:0;right:0;background:#eef;padding:.4em;z-index:1;font-size:.9em}.live button{font-size:.8em}body{padding-bottom:3em}"
    "</style>\n"
    "<form id=\"live-bar\"><label>write token <input type=\"password\" id=\"live-token\" autocomplete=\"off\" size=\"24\"></label> <label><input type=\"checkbox\" id=\"live-auto\" checked> refresh the live panels every 15 s</label> <span id=\"live-msg\" role=\"status\"></span></form>\n"
    "<script>\n"
    "(function () {\n"
    "  'use strict';\n"
    "  var token = document.getElementById('live-token');\n"
    "  var auto = document.getElementById('live-auto');\n"
    "  var msg = document.getElementById('live-msg');\n"
    "  var refreshes = 0;\n"
    "  document.getElementById('live-bar').addEventListener('submit', function (e) { e.preventDefault(); });\n"
    "  token.value = sessionStorage.getItem('dbcare-write-token') || '';\n"
    "  token.addEventListener('change', function () {\n"
    "    sessionStorage.setItem('dbcare-write-token', token.value);\n"
    "  });\n"
    "  function say(text) { msg.textContent = text; }\n"
    "  function refresh() {\n"
    "    var sections = document.querySelectorAll('section.live');\n"
    "    if (!sections.length) return;\n"
    "    var one = sections.length === 1 ? '?database=' + encodeURIComponent(sections[0].dataset.database) : '';\n"
    "    fetch('live' + one, {cache: 'no-store'}).then(function (r) { return r.text(); }).then(function (text) {\n"
    "      var doc = new DOMParser().parseFromString(text, 'text/html');\n"
    "      doc.querySelectorAll('section.live').forEach(function (s) {\n"
    "        var old = document.getElementById(s.id);\n"
    "        if (old) old.replaceWith(document.importNode(s, true));\n"
    "      });\n"
    "      refreshes += 1;\n"
    "      document.body.dataset.liveRefreshes = String(refreshes);\n"
    "    }).catch(function (e) { say('refresh failed: ' + e.message); });\n"
    "  }\n"
    "  setInterval(function () { if (auto.checked) refresh(); }, 15000);\n"
    "  function signal(b) {\n"
    "    var section = b.closest('section.live');\n"
    "    if (!token.value) { say('enter the write token (--token-file) first'); return; }\n"
    "    var url = b.dataset.action + '?database=' + encodeURIComponent(section.dataset.database) +\n"
    "      '&pid=' + encodeURIComponent(b.dataset.pid);\n"
    "    fetch(url, {method: 'POST', headers: {'Authorization': 'Bearer ' + token.value}})\n"
    "      .then(function (r) { return r.text().then(function (t) { say(r.status + ' ' + t); refresh(); }); })\n"
    "      .catch(function (e) { say(b.dataset.action + ' failed: ' + e.message); });\n"
    "  }\n"
    "  function sort(th) {\n"
    "    var table = th.closest('table'), body = table.tBodies[0];\n"
    "    var col = Array.prototype.indexOf.call(th.parentNode.children, th);\n"
    "    var desc = th.dataset.sorted !== 'desc';\n"
    "    var rows = Array.prototype.slice.call(body.rows);\n"
    "    rows.sort(function (a, b) {\n"
    "      var x = a.cells[col] ? a.cells[col].textContent : '', y = b.cells[col] ? b.cells[col].textContent : '';\n"
    "      var nx = Number(x), ny = Number(y);\n"
    "      var c = x !== '' && y !== '' && !isNaN(nx) && !isNaN(ny) ? nx - ny : x.localeCompare(y);\n"
    "      return desc ? -c : c;\n"
    "    });\n"
    "    rows.forEach(function (r) { body.appendChild(r); });\n"
    "    th.parentNode.querySelectorAll('th').forEach(function (h) { delete h.dataset.sorted; });\n"
    "    th.dataset.sorted = desc ? 'desc' : 'asc';\n"
    "  }\n"
    "  document.addEventListener('click', function (e) {\n"
    "    var b = e.target.closest('button[data-action]');\n"
    "    if (b) { signal(b); return; }\n"
    "    var th = e.target.closest('table.sortable th');\n"
    "    if (th) sort(th);\n"
    "  });\n"
    "})();\n"
    "</script>\n";
