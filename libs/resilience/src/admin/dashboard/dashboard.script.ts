// The dashboard's script, inlined into the page (its SHA-256 is in the page's CSP, so nothing else runs).
// Plain browser JavaScript in a string: the library has no build step for browser code. Written without
// template literals, so String.raw keeps it byte for byte; `dashboard.page.spec.ts` compiles it.
//
// How it talks to the admin API:
// - the routes are found relative to the page: `<prefix>/dashboard` → `<prefix>/breakers`, …;
// - the token is asked once and kept in a variable of this closure: never in localStorage, a cookie or
//   the URL, so closing or reloading the tab forgets it;
// - the event stream is read with fetch() and a stream reader, since EventSource cannot send the
//   Authorization header; it reconnects with `?since=<last id>`, so no event is missed while the server
//   keeps it (a `dropped` or `reset` marker makes the page reload everything);
// - breakers and components are re-read every few seconds for the rates and counters (the stream carries
//   transitions, not per-call numbers) and at once after an event that concerns them;
// - every text from the server is set with textContent: a breaker name or a reason cannot inject markup.
export const DASHBOARD_SCRIPT = String.raw`
(function () {
  'use strict';
  var doc = document;
  var base = location.pathname.replace(/\/dashboard\/?$/, '');
  var meta = doc.querySelector('meta[name="engined-public-reads"]');
  var publicReads = meta !== null && meta.getAttribute('content') === 'true';
  var params = new URLSearchParams(location.search);
  var pollSeconds = Number(params.get('refresh'));
  var POLL_MS = Number.isFinite(pollSeconds) && pollSeconds >= 1 ? pollSeconds * 1000 : 3000;
  var SPARK_POINTS = 40;
  var TIMELINE_MAX = 80;
  var BREAKER_ACTIONS = [
    { action: 'force-open', label: 'Force open', danger: true, title: 'Reject every call until reset (FORCED_OPEN)' },
    { action: 'disable', label: 'Disable', danger: false, title: 'Permit every call, never trip (DISABLED)' },
    { action: 'metrics-only', label: 'Metrics only', danger: false, title: 'Record like CLOSED, never reject (METRICS_ONLY)' },
    { action: 'reset', label: 'Reset', danger: false, title: 'Back to CLOSED with an empty window' }
  ];

  var token = null;
  var connected = false;
  var streamAbort = null;
  var streamRetryTimer = null;
  var streamBackoff = 1000;
  var pollTimer = null;
  var refreshTimer = null;
  var loading = null;
  var clockOffset = 0;
  var lastId = 0;
  var hasHealth = true;
  var breakers = new Map();
  var components = new Map();
  var events = [];
  var pendingAction = null;

  var el = {
    conn: byId('conn'), system: byId('system'), login: byId('login'), tokenInput: byId('token'),
    lock: byId('lock'), notice: byId('notice'), content: byId('content'), breakers: byId('breakers'),
    componentsPanel: byId('components-panel'), componentRows: byId('component-rows'), timeline: byId('timeline'),
    dialog: byId('action-dialog'), dialogForm: byId('action-form'), dialogTitle: byId('action-title'),
    dialogHint: byId('action-hint'), reason: byId('action-reason'), dialogError: byId('action-error'),
    dialogCancel: byId('action-cancel'), toast: byId('toast')
  };

  function byId(id) { return doc.getElementById(id); }

  function node(tag, className, text) {
    var element = doc.createElement(tag);
    if (className) element.className = className;
    if (text !== undefined && text !== null) element.textContent = String(text);
    return element;
  }

  function setConn(kind, text) {
    el.conn.setAttribute('data-conn', kind);
    el.conn.textContent = text;
  }

  function showNotice(text, isError) {
    el.notice.textContent = text;
    el.notice.className = isError ? 'notice error' : 'notice';
    el.notice.hidden = !text;
  }

  var toastTimer = null;
  function toast(text) {
    el.toast.textContent = text;
    el.toast.hidden = false;
    if (toastTimer !== null) clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { el.toast.hidden = true; }, 4000);
  }

  // ---- HTTP ---------------------------------------------------------------------------------------

  function ApiError(status, code, message) {
    this.status = status;
    this.code = code;
    this.message = message;
  }

  function headers(extra) {
    var result = { Accept: 'application/json' };
    if (token !== null) result.Authorization = 'Bearer ' + token;
    if (extra) Object.keys(extra).forEach(function (key) { result[key] = extra[key]; });
    return result;
  }

  function noteClock(response) {
    var date = Date.parse(response.headers.get('date') || '');
    if (!Number.isFinite(date)) return;
    var offset = date - Date.now();
    // The Date header has a resolution of one second: only a larger gap is a skew worth correcting.
    clockOffset = Math.abs(offset) > 2000 ? offset : 0;
  }

  function api(method, path, body) {
    var init = { method: method, headers: headers(body === undefined ? null : { 'Content-Type': 'application/json' }), cache: 'no-store', credentials: 'omit' };
    if (body !== undefined) init.body = JSON.stringify(body);
    return fetch(base + path, init).then(function (response) {
      noteClock(response);
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (ignored) { data = null; }
        if (!response.ok) {
          var message = data && typeof data.message === 'string' ? data.message : response.status + ' ' + response.statusText;
          throw new ApiError(response.status, data && data.code, message);
        }
        return data;
      });
    });
  }

  function serverNow() { return Date.now() + clockOffset; }

  // ---- Session --------------------------------------------------------------------------------------

  function connect() {
    setConn('connecting', 'connecting…');
    showNotice('', false);
    return loadAll().then(function () {
      connected = true;
      el.login.hidden = token !== null;
      el.lock.hidden = token === null;
      el.content.hidden = false;
      openStream();
      schedulePoll();
    }, function (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
        lock(error.status === 403 ? 'The token was refused (403): it is not one of the admin tokens.' : 'The admin API needs its token.');
      } else {
        setConn('error', 'offline');
        showNotice('Cannot load the admin API: ' + describe(error), true);
        retryConnectLater();
      }
    });
  }

  var connectRetry = null;
  function retryConnectLater() {
    if (connectRetry !== null) return;
    connectRetry = setTimeout(function () { connectRetry = null; if (!connected) connect(); }, 5000);
  }

  function lock(message) {
    token = null;
    connected = false;
    stopStream();
    if (pollTimer !== null) clearTimeout(pollTimer);
    pollTimer = null;
    breakers.clear();
    components.clear();
    events = [];
    lastId = 0;
    el.breakers.textContent = '';
    el.componentRows.textContent = '';
    el.timeline.textContent = '';
    el.content.hidden = !publicReads;
    el.login.hidden = false;
    el.lock.hidden = true;
    setConn('locked', 'locked');
    showNotice(message || '', Boolean(message));
    el.tokenInput.focus();
    if (publicReads) connect();
  }

  function describe(error) {
    if (error instanceof ApiError) return error.message;
    return error && error.message ? error.message : String(error);
  }

  el.login.addEventListener('submit', function (event) {
    event.preventDefault();
    var value = el.tokenInput.value.trim();
    el.tokenInput.value = '';
    if (!value) return;
    token = value;
    stopStream();
    connected = false;
    connect();
  });

  el.lock.addEventListener('click', function () { lock(''); });

  // ---- Loading --------------------------------------------------------------------------------------

  function loadAll() {
    return api('GET', '').then(function (index) {
      hasHealth = index.components !== null;
      renderSystem(index.status);
      el.componentsPanel.hidden = !hasHealth;
      return Promise.all([loadViews(false), api('GET', '/events?since=0')]);
    }).then(function (results) {
      var page = results[1];
      events = page.events.slice(-TIMELINE_MAX);
      lastId = page.lastId;
      renderTimeline();
    });
  }

  // Breakers and components; with sample, a new point of each sparkline and of calls/s.
  function loadViews(sample) {
    // A poll that finds a re-read under way waits for it and then reads again, so it still takes its sample.
    if (loading !== null) return sample ? loading.then(function () { return loadViews(true); }) : loading;
    var requests = [api('GET', '/breakers'), hasHealth ? api('GET', '/components') : Promise.resolve(null), api('GET', '')];
    loading = Promise.all(requests).then(function (results) {
      updateBreakers(results[0].breakers, sample);
      if (results[1] !== null) updateComponents(results[1].components);
      renderSystem(results[2].status);
    }).finally(function () { loading = null; });
    return loading;
  }

  function schedulePoll() {
    if (pollTimer !== null) clearTimeout(pollTimer);
    pollTimer = setTimeout(function () {
      pollTimer = null;
      if (!connected) return;
      loadViews(true).catch(onBackgroundError).finally(function () { if (connected) schedulePoll(); });
    }, POLL_MS);
  }

  // After an event: one re-read for a burst of events.
  function refreshSoon() {
    if (refreshTimer !== null) return;
    refreshTimer = setTimeout(function () {
      refreshTimer = null;
      if (connected) loadViews(false).catch(onBackgroundError);
    }, 150);
  }

  function onBackgroundError(error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      lock('The token is no longer accepted (' + error.status + ').');
      return;
    }
    setConn('error', 'offline');
    showNotice('Lost the admin API: ' + describe(error), true);
  }

  // ---- Event stream ---------------------------------------------------------------------------------

  function stopStream() {
    if (streamAbort !== null) streamAbort.abort();
    streamAbort = null;
    if (streamRetryTimer !== null) clearTimeout(streamRetryTimer);
    streamRetryTimer = null;
  }

  function openStream() {
    stopStream();
    var abort = new AbortController();
    streamAbort = abort;
    var init = { headers: headers({ Accept: 'text/event-stream' }), cache: 'no-store', credentials: 'omit', signal: abort.signal };
    fetch(base + '/events/stream?since=' + lastId, init).then(function (response) {
      if (!response.ok || response.body === null) {
        return response.text().then(function () {
          if (response.status === 401 || response.status === 403) { lock('The token is no longer accepted (' + response.status + ').'); return; }
          throw new Error(response.status === 503 ? 'the server has its maximum of stream clients (503)' : 'stream answered ' + response.status);
        });
      }
      setConn('live', 'live');
      showNotice('', false);
      streamBackoff = 1000;
      return readStream(response.body.getReader(), abort);
    }).then(function () {
      if (!abort.signal.aborted) streamEnded('the stream ended');
    }, function (error) {
      if (!abort.signal.aborted) streamEnded(describe(error));
    });
  }

  function streamEnded(why) {
    if (!connected) return;
    var wait = streamBackoff;
    streamBackoff = Math.min(streamBackoff * 2, 15000);
    setConn('reconnecting', 'reconnecting…');
    showNotice('Event stream interrupted (' + why + '); reconnecting in ' + Math.round(wait / 1000) + ' s.', false);
    streamRetryTimer = setTimeout(function () { streamRetryTimer = null; if (connected) openStream(); }, wait);
  }

  function readStream(reader, abort) {
    var decoder = new TextDecoder();
    var buffer = '';
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done || abort.signal.aborted) return undefined;
        buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n?/g, '\n');
        var end = buffer.indexOf('\n\n');
        while (end !== -1) {
          dispatchFrame(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
        }
        return pump();
      });
    }
    return pump();
  }

  function dispatchFrame(frame) {
    var type = 'message';
    var data = '';
    frame.split('\n').forEach(function (line) {
      if (line === '' || line.charAt(0) === ':') return;
      var colon = line.indexOf(':');
      var field = colon === -1 ? line : line.slice(0, colon);
      var value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') type = value;
      else if (field === 'data') data += (data ? '\n' : '') + value;
    });
    if (!data) return;
    var payload;
    try { payload = JSON.parse(data); } catch (ignored) { return; }
    onStreamEvent(type, payload);
  }

  function onStreamEvent(type, payload) {
    if (type === 'dropped' || type === 'reset') {
      addTimeline({ id: null, type: type, at: serverNow(), marker: payload });
      // Some events never reached this page: read everything again, then follow from the new last id.
      loadAll().then(openStream, onBackgroundError);
      return;
    }
    if (typeof payload.id === 'number') {
      if (payload.id <= lastId) return;
      lastId = payload.id;
    }
    addTimeline(payload);
    if (payload.type === 'breaker.transition' || (payload.type === 'operator.action' && payload.breaker)) {
      var entry = breakers.get(payload.breaker);
      if (entry !== undefined) {
        // The new state is shown at once; the re-read brings the counters and the retry-after.
        entry.view = Object.assign({}, entry.view, { state: payload.to, since: payload.at, reason: payload.reason || entry.view.reason, retryAfterMs: null });
        entry.retryAt = null;
        renderBreaker(entry);
      }
    }
    refreshSoon();
  }

  // ---- Breakers -------------------------------------------------------------------------------------

  function totalCalls(calls) {
    return calls.successful + calls.failed + calls.ignored + calls.notPermitted;
  }

  function updateBreakers(list, sample) {
    var seen = new Set();
    list.forEach(function (view) {
      seen.add(view.name);
      var entry = breakers.get(view.name);
      if (entry === undefined) {
        entry = createTile(view.name);
        breakers.set(view.name, entry);
        el.breakers.appendChild(entry.root);
      }
      var now = Date.now();
      if (sample) {
        var total = totalCalls(view.metrics.calls);
        if (entry.lastTotal !== null && now > entry.lastAt) entry.callsPerSecond = Math.max(0, (total - entry.lastTotal) * 1000 / (now - entry.lastAt));
        entry.lastTotal = total;
        entry.lastAt = now;
        entry.samples.push(sparkValue(view));
        if (entry.samples.length > SPARK_POINTS) entry.samples.shift();
      } else if (entry.lastTotal === null) {
        entry.lastTotal = totalCalls(view.metrics.calls);
        entry.lastAt = now;
        entry.samples.push(sparkValue(view));
      }
      entry.view = view;
      entry.retryAt = view.retryAfterMs === null ? null : now + view.retryAfterMs;
      renderBreaker(entry);
    });
    breakers.forEach(function (entry, name) {
      if (!seen.has(name)) { entry.root.remove(); breakers.delete(name); }
    });
    if (breakers.size === 0 && !el.breakers.querySelector('.empty')) el.breakers.appendChild(node('p', 'empty', 'No circuit breakers yet.'));
    else if (breakers.size > 0) el.breakers.querySelectorAll('.empty').forEach(function (p) { p.remove(); });
  }

  function createTile(name) {
    var root = node('article', 'tile');
    root.setAttribute('data-breaker', name);
    var head = node('div', 'tile-head');
    var title = node('span', 'tile-name', name);
    title.title = name;
    var badge = node('span', 'badge');
    head.append(title, badge);

    var svg = doc.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('class', 'spark');
    svg.setAttribute('viewBox', '0 -6 ' + (SPARK_POINTS - 1) + ' 112');
    svg.setAttribute('preserveAspectRatio', 'none');
    svg.setAttribute('role', 'img');
    var threshold = doc.createElementNS('http://www.w3.org/2000/svg', 'line');
    threshold.setAttribute('x1', '0');
    threshold.setAttribute('x2', String(SPARK_POINTS - 1));
    var line = doc.createElementNS('http://www.w3.org/2000/svg', 'polyline');
    svg.append(threshold, line);

    var stats = node('div', 'stats');
    var rate = stat(stats, 'failure rate');
    var slow = stat(stats, 'slow calls');
    var perSecond = stat(stats, 'calls/s');
    var windowLine = node('div', 'window');
    var retry = node('div', 'retry');
    var reason = node('div', 'reason');
    var actions = node('div', 'actions');
    BREAKER_ACTIONS.forEach(function (spec) {
      var button = node('button', spec.danger ? 'danger' : '', spec.label);
      button.type = 'button';
      button.title = spec.title;
      button.setAttribute('data-action', spec.action);
      button.addEventListener('click', function () { askBreakerAction(name, spec); });
      actions.appendChild(button);
    });
    root.append(head, svg, stats, windowLine, retry, reason, actions);
    return { root: root, badge: badge, svg: svg, threshold: threshold, line: line, rate: rate, slow: slow, perSecond: perSecond, windowLine: windowLine, retry: retry, reason: reason, actions: actions, view: null, samples: [], lastTotal: null, lastAt: 0, callsPerSecond: null, retryAt: null };
  }

  function stat(parent, label) {
    var box = node('div');
    var value = node('b', '', '–');
    var caption = node('span', '', label);
    box.append(value, caption);
    parent.appendChild(box);
    return { value: value, caption: caption };
  }

  // What the sparkline plots: the failure rate, or with a consecutive window (which has no rate) how far
  // the current run of failures is toward tripping, both 0..100.
  function sparkValue(view) {
    var win = view.metrics.window;
    if (win.kind === 'consecutive') return win.capacity ? Math.min(100, win.bufferedCalls * 100 / win.capacity) : 0;
    return Math.max(0, view.metrics.failureRate);
  }

  function percent(rate) { return rate < 0 ? '–' : (Math.round(rate * 10) / 10) + ' %'; }

  function renderBreaker(entry) {
    var view = entry.view;
    entry.root.setAttribute('data-state', view.state);
    entry.badge.className = 'badge s-' + view.state;
    entry.badge.textContent = view.state.replace('_', ' ');
    var win = view.metrics.window;
    if (win.kind === 'consecutive') {
      entry.rate.caption.textContent = 'failures in a row';
      entry.rate.value.textContent = win.bufferedCalls + ' / ' + win.capacity;
    } else {
      entry.rate.caption.textContent = 'failure rate';
      entry.rate.value.textContent = percent(view.metrics.failureRate);
    }
    entry.slow.value.textContent = percent(view.metrics.slowCallRate);
    entry.perSecond.value.textContent = entry.callsPerSecond === null ? '–' : (entry.callsPerSecond >= 10 ? Math.round(entry.callsPerSecond) : Math.round(entry.callsPerSecond * 10) / 10).toString();
    entry.windowLine.textContent = 'window ' + win.bufferedCalls + (win.capacity === null ? '' : '/' + win.capacity) + ' (' + win.kind + ')' +
      (win.evaluating || win.kind === 'consecutive' ? '' : ', rates from ' + (view.options ? view.options.minimumCalls : '?') + ' calls') +
      ' · ' + totalCalls(view.metrics.calls) + ' calls · ' + view.metrics.inFlight + ' in flight';
    var threshold = win.kind === 'consecutive' ? 100 : (view.options ? view.options.failureRateThreshold : null);
    entry.threshold.setAttribute('y1', String(threshold === null ? 100 : 100 - threshold));
    entry.threshold.setAttribute('y2', String(threshold === null ? 100 : 100 - threshold));
    var offset = SPARK_POINTS - entry.samples.length;
    entry.line.setAttribute('points', entry.samples.map(function (value, i) {
      return (offset + i) + ',' + (100 - Math.max(0, value));
    }).join(' '));
    entry.svg.setAttribute('aria-label', (win.kind === 'consecutive' ? 'failures in a row' : 'failure rate') + ' of ' + view.name + ' over the last ' + entry.samples.length + ' samples');
    var who = view.operator && view.operator.reason === view.reason ? ' (' + view.operator.actor + ')' : '';
    entry.reason.textContent = view.reason ? view.reason + who : '';
    entry.actions.querySelectorAll('button').forEach(function (button) {
      var action = button.getAttribute('data-action');
      button.disabled = (action === 'reset' && view.state === 'CLOSED') || (action === 'force-open' && view.state === 'FORCED_OPEN') ||
        (action === 'disable' && view.state === 'DISABLED') || (action === 'metrics-only' && view.state === 'METRICS_ONLY');
    });
    renderRetry(entry);
  }

  function renderRetry(entry) {
    if (entry.retryAt === null || entry.view.state !== 'OPEN') { entry.retry.textContent = ''; return; }
    var left = Math.max(0, Math.ceil((entry.retryAt - Date.now()) / 1000));
    entry.retry.textContent = left > 0 ? 'half-opens in ' + left + ' s' : 'half-opening…';
  }

  // ---- Components -----------------------------------------------------------------------------------

  function updateComponents(list) {
    var seen = new Set();
    list.forEach(function (view) {
      seen.add(view.name);
      var entry = components.get(view.name);
      if (entry === undefined) {
        entry = createRow(view.name);
        components.set(view.name, entry);
        el.componentRows.appendChild(entry.root);
      }
      entry.view = view;
      renderComponent(entry);
    });
    components.forEach(function (entry, name) {
      if (!seen.has(name)) { entry.root.remove(); components.delete(name); }
    });
  }

  function cell(row, label) {
    var td = node('td');
    td.setAttribute('data-label', label);
    row.appendChild(td);
    return td;
  }

  function createRow(name) {
    var root = node('tr');
    root.setAttribute('data-component', name);
    var nameCell = node('td', '', name);
    nameCell.className = 'tile-name';
    root.appendChild(nameCell);
    var status = node('span', 'badge');
    cell(root, 'status').appendChild(status);
    var checked = cell(root, 'last check');
    var latency = cell(root, 'latency');
    var heal = cell(root, 'heal');
    var message = cell(root, 'message');
    message.className = 'msg';
    var actions = node('div', 'actions');
    cell(root, 'actions').appendChild(actions);
    var check = node('button', '', 'Check now');
    check.type = 'button';
    check.setAttribute('data-action', 'check');
    check.addEventListener('click', function () { askComponentAction(name, 'check'); });
    var healReset = node('button', '', 'Reset heal');
    healReset.type = 'button';
    healReset.setAttribute('data-action', 'heal-reset');
    healReset.addEventListener('click', function () { askComponentAction(name, 'heal-reset'); });
    actions.append(check, healReset);
    return { root: root, status: status, checked: checked, latency: latency, heal: heal, message: message, check: check, healReset: healReset, view: null };
  }

  function age(at) {
    if (typeof at !== 'number') return 'never';
    var seconds = Math.max(0, Math.round((serverNow() - at) / 1000));
    if (seconds < 90) return seconds + ' s ago';
    if (seconds < 5400) return Math.round(seconds / 60) + ' min ago';
    return Math.round(seconds / 3600) + ' h ago';
  }

  function renderComponent(entry) {
    var view = entry.view;
    entry.root.setAttribute('data-status', view.status);
    entry.status.className = 'badge s-' + view.status;
    entry.status.textContent = view.status + (view.stale ? ' (stale)' : '');
    entry.checked.textContent = view.type === 'breaker' ? 'follows its breaker' : age(view.lastCheckedAt);
    entry.latency.textContent = typeof view.latencyMs === 'number' ? Math.round(view.latencyMs) + ' ms' : '–';
    entry.heal.textContent = view.heal ? view.heal.state + ' · ' + view.heal.attempts + (view.heal.attempts === 1 ? ' attempt' : ' attempts') : '–';
    entry.message.textContent = view.blockedBy ? 'blocked by breaker ' + view.blockedBy : (view.message || (view.error ? view.error.message : ''));
    entry.check.disabled = view.type === 'breaker';
    entry.check.title = view.type === 'breaker' ? 'A breaker component has no check: act on the breaker' : 'Run the check now';
    entry.healReset.hidden = !view.heal;
  }

  function renderSystem(status) {
    if (!status) { el.system.hidden = true; return; }
    el.system.hidden = false;
    el.system.className = 'badge s-' + status;
    el.system.textContent = 'system ' + status;
  }

  // ---- Timeline -------------------------------------------------------------------------------------

  function addTimeline(event) {
    events.push(event);
    if (events.length > TIMELINE_MAX) events.shift();
    el.timeline.prepend(timelineItem(event));
    while (el.timeline.children.length > TIMELINE_MAX) el.timeline.lastChild.remove();
    var empty = el.timeline.querySelector('.empty');
    if (empty) empty.remove();
  }

  function renderTimeline() {
    el.timeline.textContent = '';
    for (var i = events.length - 1; i >= 0; i--) el.timeline.appendChild(timelineItem(events[i]));
    if (events.length === 0) el.timeline.appendChild(node('li', 'empty', 'No events yet.'));
  }

  function describeEvent(e) {
    switch (e.type) {
      case 'breaker.transition': return { kind: 'breaker', tone: e.to === 'CLOSED' ? 'ok' : (e.to === 'OPEN' || e.to === 'FORCED_OPEN' ? 'bad' : ''), text: e.breaker + ': ' + e.from + ' → ' + e.to + (e.reason ? ' (' + e.reason + ')' : '') };
      case 'breaker.rejections': return { kind: 'rejections', tone: 'bad', text: e.breaker + ' rejected ' + e.count + (e.count === 1 ? ' call' : ' calls') + ' (' + e.state + ')' };
      case 'component.status': return { kind: 'health', tone: e.to === 'HEALTHY' ? 'ok' : (e.to === 'UNHEALTHY' ? 'bad' : ''), text: e.component + ': ' + e.from + ' → ' + e.to + (e.reason ? ' (' + e.reason + ')' : '') };
      case 'component.heal': return { kind: 'heal', tone: e.result === 'success' ? 'ok' : 'bad', text: e.component + ': heal attempt ' + e.attempt + ' ' + e.result + ' in ' + Math.round(e.durationMs) + ' ms' + (e.message ? ' (' + e.message + ')' : '') };
      case 'component.gave_up': return { kind: 'gave up', tone: 'bad', text: e.component + ': healing gave up after ' + e.attempts + ' attempts' };
      case 'component.heal_reset': return { kind: 'heal reset', tone: 'ok', text: e.component + ': heal backoff cleared (' + e.reason + ')' };
      case 'operator.action': return { kind: 'operator', tone: 'operator', text: e.actor + ' ' + e.action + ' ' + (e.breaker || e.component) + ': ' + e.from + ' → ' + e.to + (e.reason ? ' — “' + e.reason + '”' : '') };
      case 'dropped': return { kind: 'dropped', tone: 'bad', text: e.marker.dropped + ' events did not reach this page (' + e.marker.cause + '): reloaded' };
      case 'reset': return { kind: 'restarted', tone: 'bad', text: 'the server restarted (event ids start again): reloaded' };
      default: return { kind: e.type, tone: '', text: '' };
    }
  }

  function timelineItem(event) {
    var described = describeEvent(event);
    var item = node('li', described.tone ? 'k-' + described.tone : '');
    if (event.id !== null && event.id !== undefined) item.setAttribute('data-event-id', String(event.id));
    item.setAttribute('data-type', event.type);
    var time = node('time', '', new Date(event.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }));
    time.dateTime = new Date(event.at).toISOString();
    item.append(time, node('span', 'kind', described.kind), node('span', 'text', described.text));
    return item;
  }

  // ---- Actions --------------------------------------------------------------------------------------

  function askBreakerAction(name, spec) {
    openDialog({
      title: spec.label + ': breaker ' + name,
      hint: spec.title + '. The reason is recorded with the action.',
      required: true,
      run: function (reason) { return api('POST', '/breakers/' + encodeURIComponent(name) + '/' + spec.action, { reason: reason }); },
      done: function (result) {
        var entry = breakers.get(name);
        if (entry !== undefined) {
          entry.view = result.breaker;
          entry.retryAt = result.breaker.retryAfterMs === null ? null : Date.now() + result.breaker.retryAfterMs;
          renderBreaker(entry);
        }
        toast(name + ': ' + result.event.from + ' → ' + result.event.to);
      }
    });
  }

  function askComponentAction(name, action) {
    openDialog({
      title: (action === 'check' ? 'Run the check now: ' : 'Reset healing: ') + name,
      hint: action === 'check' ? 'Runs the component’s check at once.' : 'Clears the heal backoff and GAVE UP, then heals if unhealthy.',
      required: false,
      run: function (reason) { return api('POST', '/components/' + encodeURIComponent(name) + (action === 'check' ? '/check' : '/heal/reset'), reason ? { reason: reason } : {}); },
      done: function (result) {
        var entry = components.get(name);
        if (entry !== undefined) { entry.view = result.component; renderComponent(entry); }
        toast(name + ': ' + result.event.from + ' → ' + result.event.to);
      }
    });
  }

  function openDialog(action) {
    if (token === null) {
      showNotice('Actions need the admin token: enter it above.', true);
      el.tokenInput.focus();
      return;
    }
    pendingAction = action;
    el.dialogTitle.textContent = action.title;
    el.dialogHint.textContent = action.hint;
    el.reason.value = '';
    el.reason.required = action.required;
    el.reason.placeholder = action.required ? 'reason (required)' : 'reason (optional)';
    el.dialogError.textContent = '';
    el.dialog.showModal();
    el.reason.focus();
  }

  el.dialogCancel.addEventListener('click', function () { pendingAction = null; el.dialog.close(); });

  el.dialogForm.addEventListener('submit', function (event) {
    event.preventDefault();
    var action = pendingAction;
    if (action === null) return;
    var reason = el.reason.value.trim();
    if (action.required && !reason) { el.dialogError.textContent = 'Say why: the reason is recorded with the action.'; return; }
    var submit = el.dialogForm.querySelector('button[type=submit]');
    submit.disabled = true;
    action.run(reason).then(function (result) {
      pendingAction = null;
      el.dialog.close();
      action.done(result);
    }, function (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
        el.dialog.close();
        lock('The token is no longer accepted (' + error.status + ').');
        return;
      }
      el.dialogError.textContent = describe(error);
    }).finally(function () { submit.disabled = false; });
  });

  // ---- Clock ----------------------------------------------------------------------------------------

  setInterval(function () {
    breakers.forEach(renderRetry);
    components.forEach(function (entry) {
      if (entry.view.type !== 'breaker') entry.checked.textContent = age(entry.view.lastCheckedAt);
    });
  }, 1000);

  if (publicReads) {
    el.content.hidden = false;
    connect();
  } else {
    setConn('locked', 'locked');
    el.tokenInput.focus();
  }
})();
`;
