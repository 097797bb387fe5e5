// The console's Backups page on the CSBS v1 API of the same server. Plain JavaScript, no build step.
// Every text from the API goes into the page as text (textContent), never as HTML.
'use strict';

const STATES = {
  waiting_protect: 'Creating', protecting: 'Creating', available: 'Available',
  waiting_restore: 'Restoring', restoring: 'Restoring', error: 'Error',
  waiting_delete: 'Deleting', deleting: 'Deleting', deleted: 'Deleted',
};
const RUNNING = new Set(['Creating', 'Restoring', 'Deleting']);
const MAX_TAG_PAIRS = 10;
const PROVIDER_ID = 'fc4d5750-22e7-4798-8a46-f48f62c4c1da';
const USAGE_PAGE = 10;
const DAY_MS = 24 * 3600 * 1000;

const view = {
  project: '',
  pageSize: 10,
  page: 0,            // the page shown, from 0
  markers: [null],    // list mode: the marker of each page reached so far
  hasNext: false,
  total: 0,
  tags: [],           // the tag pairs added, [{key, value}]; searched when Search is clicked
  tagMode: false,     // the controls are set for a tag search (the list filters are disabled)
  search: null,       // the search the list shows, as asked for; null: take it from the controls at the next load
  loading: false,     // a load is under way: paging waits for it (a second Next has no marker yet)
  catalogue: [],      // the project's tag catalogue, [{key, values}]
  settings: {now: Date.now(), nowText: new Date().toISOString(), stallMs: 30 * 60 * 1000},
  load: 0,            // the number of the latest load: older answers are dropped
  usagePage: 0,
  usageServers: 0,
};

const $ = (id) => document.getElementById(id);
let busy = 0;

function setBusy(delta) {
  busy += delta;
  document.body.dataset.busy = String(busy > 0);
}

/** A refusal of the API: its error_msg and error_code. */
class ApiFailure extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

/** Calls the API under /v1/{project}; the JSON answer, or an ApiFailure with the API's message. */
async function api(method, path, body) {
  setBusy(1);
  try {
    const options = {method, headers: {Accept: 'application/json'}};
    if (body !== undefined) {
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch('/v1/' + encodeURIComponent(view.project) + path, options);
    } catch (e) {
      throw new ApiFailure('The server does not answer (' + e.message + '): try again later.');
    }
    const text = await response.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch (e) {
      json = null;
    }
    if (!response.ok) {
      const message = json && json.error_msg ? json.error_msg : 'HTTP ' + response.status;
      throw new ApiFailure(message, json && json.error_code);
    }
    return json;
  } finally {
    setBusy(-1);
  }
}

async function loadSettings() {
  const response = await fetch('settings.json', {cache: 'no-store'});
  const json = await response.json();
  view.settings = {now: Date.parse(json.now), nowText: json.now, stallMs: json.stall_threshold_ms};
}

// ------------------------------------------------------------------ times

/** An API time, UTC without a zone ("2017-04-18T01:21:52.701973"), as milliseconds. */
function apiTime(text) {
  return text ? Date.parse(text.replace(/(\.\d{3})\d*$/, '$1') + 'Z') : NaN;
}

/** MB as GB with two decimals, rounded half up as the library's usage report rounds (no binary fractions). */
function gigabytes(mb) {
  const hundredths = Math.floor((Number(mb) * 100 + 512) / 1024);
  return Math.floor(hundredths / 100) + '.' + String(hundredths % 100).padStart(2, '0');
}

/** Milliseconds as the API's time, to the second: "2017-04-18T01:21:52". */
function formatApiTime(ms) {
  return new Date(ms).toISOString().slice(0, 19);
}

/**
 * The API time a number of days before the server's now, to now's own precision: "last 1 day" ends
 * at now itself, not at its second (a backup made a moment ago is in it, one a moment too old is not).
 */
function daysBeforeNow(days) {
  const parts = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z$/.exec(view.settings.nowText);
  if (!parts) {  // a clock outside years 0000-9999: to the millisecond
    return new Date(view.settings.now - days * DAY_MS).toISOString().replace(/Z$/, '');
  }
  return formatApiTime(Date.parse(parts[1] + 'Z') - days * DAY_MS) + (parts[2] || '');
}

/** An API time as the page shows it: "2017-04-18 01:21:52". */
function showTime(text) {
  return text ? text.slice(0, 19).replace('T', ' ') : '-';
}

/** A datetime-local value, read as UTC, as an API time; empty if none. */
function customTime(value) {
  if (!value) {
    return '';
  }
  return value.length === 16 ? value + ':00' : value.slice(0, 19);
}

// ------------------------------------------------------------------ the list

/** The search the controls set: the list's filters, or the tag pairs added when the tag search is on. */
function searchOfControls() {
  return {tagMode: view.tagMode, filters: listFilters().toString(), tags: view.tags.map((pair) => ({...pair}))};
}

/** The list's filters as the controls set them. */
function listFilters() {
  const parameters = new URLSearchParams();
  const status = $('status-filter').value;
  if (status) {
    parameters.set('status', status);
  }
  const segment = $('time-filter').value;
  if (segment === 'custom') {
    const from = customTime($('time-from').value);
    const to = customTime($('time-to').value);
    if (from) {
      parameters.set('start_time', from);
    }
    if (to) {
      parameters.set('end_time', to);
    }
  } else if (segment) {
    parameters.set('start_time', daysBeforeNow(Number(segment)));
    parameters.set('end_time', daysBeforeNow(0));
  }
  const keyword = $('keyword').value.trim();
  if (keyword) {
    parameters.set($('keyword-field').value, keyword);
  }
  return parameters;
}

/** The query string of the search shown: its filters, and the page's limit and marker. */
function listParameters(withPage) {
  const parameters = new URLSearchParams(view.search.filters);
  if (withPage) {
    parameters.set('limit', String(view.pageSize));
    const marker = view.markers[view.page];
    if (marker) {
      parameters.set('marker', marker);
    }
  }
  return parameters;
}

/** The tag query's body: pairs grouped by key, as the API's "tags" (values of one key OR'ed). */
function tagQueryBody(action) {
  const byKey = new Map();
  for (const pair of view.search.tags) {
    if (!byKey.has(pair.key)) {
      byKey.set(pair.key, []);
    }
    if (!byKey.get(pair.key).includes(pair.value)) {
      byKey.get(pair.key).push(pair.value);
    }
  }
  const body = {action, tags: [...byKey].map(([key, values]) => ({key, values}))};
  if (action === 'filter') {
    body.limit = view.pageSize;
    body.offset = view.page * view.pageSize;
  }
  return body;
}

/**
 * Loads the page of the search shown (or, after a new search, of the controls' search), with its
 * total; true if it is shown, false if it failed (its message shown) or a newer load replaced it.
 */
async function loadList() {
  const load = ++view.load;
  view.loading = true;
  $('previous').disabled = true;
  $('next').disabled = true;
  showMessage('');
  setBusy(1);
  let shown = false;
  try {
    await loadSettings();
    if (load !== view.load) {
      return false;
    }
    if (view.search === null) {  // a new search: its time segment counts back from the server's now of this load
      view.search = searchOfControls();
    }
    let items;
    let total;
    let hasNext;
    let nextMarker = null;
    if (view.search.tagMode) {
      const answer = await api('POST', '/csbs_backup/resource_instances/action', tagQueryBody('filter'));
      items = answer.resources.map((resource) => resource.resource_detail);
      total = answer.total_count;
      hasNext = (view.page + 1) * view.pageSize < total;
    } else {
      const [page, count] = await Promise.all([
        api('GET', '/checkpoint_items?' + listParameters(true)),
        api('GET', '/checkpoint_items/count?' + listParameters(false)),
      ]);
      items = page.checkpoint_items;
      total = count.count;
      const next = (page.checkpoint_items_links || []).find((link) => link.rel === 'next');
      hasNext = Boolean(next);
      if (next) {
        nextMarker = new URL(next.href, location.href).searchParams.get('marker');
      }
    }
    if (load !== view.load) {  // a newer load owns the view: this answer changes nothing
      return false;
    }
    if (nextMarker !== null) {
      view.markers[view.page + 1] = nextMarker;
    }
    view.hasNext = hasNext;
    view.total = total;
    renderRows(items);
    shown = true;
  } catch (failure) {
    if (load === view.load) {
      renderRows([], 'The backups could not be loaded.');
      view.total = 0;
      view.hasNext = false;
      showMessage(failure.message);
    }
  } finally {
    setBusy(-1);
    if (load === view.load) {
      view.loading = false;
      renderPager();
      document.body.dataset.loads = String(load); // for tests and tools: the list shown is this load's
    }
  }
  return shown;
}

function renderPager() {
  $('total').textContent = String(view.total);
  $('page-number').textContent = String(view.page + 1);
  $('previous').disabled = view.loading || view.page === 0;
  $('next').disabled = view.loading || !view.hasNext;
}

function renderRows(items, emptyText = 'No backups found.') {
  const rows = $('backup-rows');
  rows.replaceChildren();
  if (items.length === 0) {
    const row = element('tr', {className: 'empty'});
    row.append(element('td', {colSpan: 7, textContent: emptyText}));
    rows.append(row);
    return;
  }
  for (const item of items) {
    rows.append(backupRow(item));
  }
}

function element(tag, properties, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, properties || {});
  node.append(...children);
  return node;
}

/** Two lines: a name and, under it, an id. */
function nameAndId(name, id) {
  return [element('span', {className: 'name', textContent: name}), element('span', {className: 'sub id', textContent: id})];
}

function backupRow(item) {
  const extend = item.extend_info || {};
  const state = STATES[item.status] || item.status;
  const row = element('tr', {className: 'backup'});
  row.dataset.id = item.id;
  row.dataset.state = state;

  const expander = element('button', {type: 'button', className: 'expander', textContent: '\u25B8', title: 'Details'});
  expander.setAttribute('aria-expanded', 'false');
  expander.addEventListener('click', () => toggleDetails(row, expander));
  row.append(element('td', {className: 'expand'}, expander));
  row.append(element('td', {}, ...nameAndId(item.name, item.id)));
  row.append(element('td', {}, ...statusCell(item, state, extend)));
  row.append(element('td', {}, ...nameAndId(extend.resource_name || '-', item.resource_id)));
  row.append(element('td', {textContent: extend.support_lld ? 'Enhanced backup' : 'Common backup'}));
  row.append(element('td', {className: 'created', textContent: showTime(item.created_at)}));
  row.append(element('td', {}, ...operations(item, state)));
  return row;
}

function statusCell(item, state, extend) {
  const cell = [element('span', {className: 'status status-' + state.toLowerCase(), textContent: state})];
  if (RUNNING.has(state)) {
    const percent = Math.max(0, Math.min(100, Number(extend.progress) || 0));
    const bar = element('span', {className: 'progress', title: percent + '%'},
        element('span', {className: 'progress-bar'}));
    bar.firstChild.style.width = percent + '%';
    bar.setAttribute('role', 'progressbar');
    bar.setAttribute('aria-valuenow', String(percent));
    cell.push(bar, element('span', {className: 'percent', textContent: percent + '%'}));
    const changed = apiTime(extend.progress_updated_at);
    if (!Number.isNaN(changed) && view.settings.now - changed > view.settings.stallMs) {
      const minutes = Math.round(view.settings.stallMs / 60000);
      cell.push(element('span', {className: 'stalled', textContent: '\u26A0 Stalled',
        title: 'No progress for more than ' + minutes + ' minutes: contact the administrator'}));
    }
  }
  return cell;
}

function operations(item, state) {
  const restore = element('button', {type: 'button', className: 'restore', textContent: 'Restore',
    disabled: state !== 'Available'});
  restore.addEventListener('click', () => startJob(item, 'restore'));
  const remove = element('button', {type: 'button', className: 'delete', textContent: 'Delete',
    disabled: state !== 'Available' && state !== 'Error'});
  remove.addEventListener('click', () => startJob(item, 'delete'));
  return [restore, ' ', remove];
}

/** Starts a restore or a delete of the backup, after the user confirms, then shows the list again. */
async function startJob(item, job) {
  const checkpoint = item.checkpoint_id || item.id;
  if (!window.confirm((job === 'restore' ? 'Restore the server from backup ' : 'Delete backup ') + item.name + '?')) {
    return;
  }
  try {
    if (job === 'restore') {
      await api('POST', '/restores', {restore: {provider_id: PROVIDER_ID, checkpoint_id: checkpoint,
        parameters: {checkpoint_item_id: item.id}}});
    } else {
      await api('DELETE', '/providers/' + PROVIDER_ID + '/checkpoints/' + encodeURIComponent(checkpoint)
          + '?checkpoint_items=' + encodeURIComponent(item.id));
    }
    if (await loadList()) {  // else the list's own failure stays shown
      showMessage((job === 'restore' ? 'Restoring ' : 'Deleting ') + item.name + '.', 'info');
    }
  } catch (failure) {
    showMessage(failure.message);
  }
}

// ------------------------------------------------------------------ details

async function toggleDetails(row, expander) {
  const open = row.nextElementSibling && row.nextElementSibling.classList.contains('details')
      ? row.nextElementSibling : null;
  if (open) {
    open.remove();
    expander.textContent = '\u25B8';
    expander.setAttribute('aria-expanded', 'false');
    return;
  }
  expander.textContent = '\u25BE';
  expander.setAttribute('aria-expanded', 'true');
  const detailsRow = element('tr', {className: 'details'});
  detailsRow.dataset.id = row.dataset.id;
  const cell = element('td', {colSpan: 7, textContent: 'Loading...'});
  detailsRow.append(cell);
  row.after(detailsRow);
  try {
    const answer = await api('GET', '/checkpoint_items/' + encodeURIComponent(row.dataset.id));
    cell.replaceChildren(details(answer.checkpoint_item));
  } catch (failure) {
    cell.textContent = failure.message;
  }
}

function details(item) {
  const extend = item.extend_info || {};
  const data = item.backup_data || {};
  const fail = extend.fail_code && extend.fail_code.Code !== undefined
      ? extend.fail_code.Code + ' ' + (extend.fail_code.Description || '') : '';
  const fields = [
    ['Backup ID', item.id],
    ['Backup name', item.name],
    ['Description', item.description],
    ['Status', item.status],
    ['Checkpoint ID', item.checkpoint_id],
    ['Server name', extend.resource_name],
    ['Server ID', item.resource_id],
    ['AZ', extend.resource_az],
    ['Backup type', extend.support_lld ? 'Enhanced backup' : 'Common backup'],
    ['Incremental', extend.incremental ? 'Yes' : 'No'],
    ['Size (MB)', extend.size],
    ['Created', showTime(item.created_at)],
    ['Updated', showTime(item.updated_at)],
    ['Finished', extend.finished_at ? showTime(extend.finished_at) : ''],
    ['Progress', extend.progress === undefined ? '' : extend.progress + '%'],
    ['Progress changed', extend.progress_updated_at ? showTime(extend.progress_updated_at) : ''],
    ['Policy ID', extend.policy_id],
    ['Restore mode', extend.supported_restore_mode],
    ['Copy status', extend.copy_status],
    ['Space saving ratio', extend.space_saving_ratio === undefined ? '' : extend.space_saving_ratio + '%'],
    ['Average speed (KB/s)', extend.average_speed],
    ['Failed job', extend.fail_op],
    ['Failure', extend.fail_reason],
    ['Fail code', fail],
    ['Region', data.__openstack_region_name],
    ['Cloud service type', data.cloudservicetype],
    ['Image type', data.imagetype],
    ['Disk (GB)', data.disk || ''],  // 0: the backup carries no VM metadata
    ['RAM (MB)', data.ram || ''],
    ['vCPUs', data.vcpus || ''],
    ['EIP', data.eip],
    ['Private IP', data.private_ip],
    ['Tags', (item.tags || []).map((tag) => tag.key + '=' + tag.value).join(', ')],
  ];
  const list = element('dl', {className: 'details'});
  for (const [name, value] of fields) {
    if (value === undefined || value === null || value === '') {
      continue;
    }
    const entry = element('div', {}, element('dt', {textContent: name}), element('dd', {textContent: String(value)}));
    entry.dataset.field = name;
    list.append(entry);
  }
  return list;
}

// ------------------------------------------------------------------ search by tag

async function loadTagCatalogue() {
  try {
    const answer = await api('GET', '/csbs_backup/tags');
    view.catalogue = answer.tags;
  } catch (failure) {
    view.catalogue = [];
    showMessage(failure.message);
  }
  $('tag-keys').replaceChildren(...view.catalogue.map((tag) => element('option', {value: tag.key})));
  updateTagValues();
}

function updateTagValues() {
  const entry = view.catalogue.find((tag) => tag.key === $('tag-key').value.trim());
  $('tag-values').replaceChildren(...(entry ? entry.values : []).map((value) => element('option', {value})));
}

/** Adds the key and value typed, if the project has that tag: "must be among existing keys and values". */
function addTagPair() {
  const key = $('tag-key').value.trim();
  const value = $('tag-value').value.trim();  // may be empty: a tag's value may be
  if (!key) {
    showMessage('Enter a tag key and a tag value.');
    return;
  }
  const entry = view.catalogue.find((tag) => tag.key === key);
  if (!entry) {
    showMessage('Tag key ' + key + ' does not exist in this project.');
    return;
  }
  if (!entry.values.includes(value)) {
    showMessage('Tag value ' + value + ' does not exist for key ' + key + '.');
    return;
  }
  if (view.tags.some((pair) => pair.key === key && pair.value === value)) {
    showMessage('Tag ' + key + '=' + value + ' is added already.');
    return;
  }
  if (view.tags.length >= MAX_TAG_PAIRS) {
    showMessage('A maximum of ' + MAX_TAG_PAIRS + ' tags can be added at the same time.');
    return;
  }
  view.tags.push({key, value});
  $('tag-key').value = '';
  $('tag-value').value = '';
  updateTagValues();
  showMessage('');
  renderTagCriteria();
}

function renderTagCriteria() {
  $('tag-criteria').replaceChildren(...view.tags.map((pair, index) => {
    const remove = element('button', {type: 'button', className: 'remove', textContent: '\u00D7',
      title: 'Remove'});
    remove.addEventListener('click', () => {
      view.tags.splice(index, 1);
      renderTagCriteria();
    });
    const item = element('li', {className: 'tag-criterion'}, element('span', {textContent: pair.key + '=' + pair.value}), remove);
    item.dataset.key = pair.key;
    item.dataset.value = pair.value;
    return item;
  }));
  $('tag-add').disabled = view.tags.length >= MAX_TAG_PAIRS;
}

/** Searches by the tag pairs added, or, with none, goes back to the list with its filters. */
function searchByTag() {
  view.tagMode = view.tags.length > 0;
  for (const id of ['status-filter', 'time-filter', 'time-from', 'time-to', 'keyword-field', 'keyword', 'keyword-search']) {
    $(id).disabled = view.tagMode;
  }
  firstPage();
}

// ------------------------------------------------------------------ overview and usage

async function loadOverview() {
  try {
    const answer = await api('GET', '/quotas');
    const resources = answer.quotas.resources;
    const backups = resources.find((resource) => resource.type === 'backups');
    const capacity = resources.find((resource) => resource.type === 'backup_capacity');
    $('overview-backups').textContent = String(backups.used);
    $('overview-capacity').textContent = Number(capacity.used).toFixed(2);
    $('usage-total-backups').textContent = String(backups.used);
    $('usage-total-capacity').textContent = Number(capacity.used).toFixed(2);
  } catch (failure) {
    showMessage(failure.message);
  }
}

async function loadUsage() {
  $('usage-message').textContent = '';
  try {
    const answer = await api('GET', '/storage_usage?limit=' + USAGE_PAGE + '&offset=' + view.usagePage * USAGE_PAGE);
    view.usageServers = answer.resource_count;
    $('usage-rows').replaceChildren(...answer.storage_usage.map((server) => {
      const row = element('tr', {className: 'server'});
      row.dataset.id = server.resource_id;
      row.append(element('td', {}, ...nameAndId(server.resource_name, server.resource_id)));
      row.append(element('td', {className: 'backups', textContent: String(server.backup_count)}));
      row.append(element('td', {className: 'capacity', textContent: gigabytes(server.backup_size)}));
      return row;
    }));
  } catch (failure) {
    $('usage-rows').replaceChildren();
    $('usage-message').textContent = failure.message;
  }
  $('usage-servers').textContent = String(view.usageServers);
  $('usage-page').textContent = String(view.usagePage + 1);
  $('usage-previous').disabled = view.usagePage === 0;
  $('usage-next').disabled = (view.usagePage + 1) * USAGE_PAGE >= view.usageServers;
}

async function openUsage() {
  view.usagePage = 0;
  $('usage-dialog').showModal();
  await Promise.all([loadOverview(), loadUsage()]);
}

// ------------------------------------------------------------------ wiring

function showMessage(text, kind) {
  $('message').textContent = text;
  $('message').className = kind || '';
}

/** Shows the first page of the search the controls set now. */
function firstPage() {
  view.page = 0;
  view.markers = [null];
  view.search = null;
  loadList();
}

function reset() {
  $('status-filter').value = '';
  $('time-filter').value = '';
  $('time-from').value = '';
  $('time-to').value = '';
  $('custom-time').hidden = true;
  $('keyword-field').value = 'name';
  $('keyword').value = '';
  $('tag-key').value = '';
  $('tag-value').value = '';
  view.tags = [];
  renderTagCriteria();
  searchByTag();
}

function openProject(project) {
  view.project = project;
  $('project').value = project;
  if (!project) {  // nothing of the previous project stays shown, and its answers still coming are dropped
    view.load++;
    view.loading = false;
    view.page = 0;
    view.markers = [null];
    view.search = null;
    view.total = 0;
    view.hasNext = false;
    view.tags = [];
    view.catalogue = [];
    renderTagCriteria();
    $('tag-keys').replaceChildren();
    for (const id of ['overview-backups', 'overview-capacity']) {
      $(id).textContent = '-';
    }
    renderRows([], 'Enter a project id to see its backups.');
    renderPager();
    showMessage('Enter a project id to see its backups.');
    document.body.dataset.busy = 'false';
    return;
  }
  const url = new URL(location.href);
  url.searchParams.set('project', project);
  history.replaceState(null, '', url);
  view.tags = [];
  renderTagCriteria();
  loadOverview();
  loadTagCatalogue();
  reset();
}

function wire() {
  $('project-form').addEventListener('submit', (event) => {
    event.preventDefault();
    openProject($('project').value.trim());
  });
  $('status-filter').addEventListener('change', firstPage);
  $('time-filter').addEventListener('change', () => {
    $('custom-time').hidden = $('time-filter').value !== 'custom';
    firstPage(); // a custom segment without dates is all time until they are given
  });
  $('time-from').addEventListener('change', firstPage);
  $('time-to').addEventListener('change', firstPage);
  $('keyword-form').addEventListener('submit', (event) => {
    event.preventDefault();
    firstPage();
  });
  $('tag-toggle').addEventListener('click', () => {
    $('tag-panel').hidden = !$('tag-panel').hidden;
  });
  $('tag-key').addEventListener('input', updateTagValues);
  $('tag-form').addEventListener('submit', (event) => {
    event.preventDefault();
    addTagPair();
  });
  $('tag-search').addEventListener('click', searchByTag);
  $('reset').addEventListener('click', reset);
  $('page-size').addEventListener('change', () => {
    view.pageSize = Number($('page-size').value);
    view.page = 0;  // the same search, from its first page: a keyword typed but not searched stays unsearched
    view.markers = [null];
    loadList();
  });
  $('previous').addEventListener('click', () => {
    if (!view.loading && view.page > 0) {
      view.page--;
      loadList();
    }
  });
  $('next').addEventListener('click', () => {
    if (!view.loading && view.hasNext) {
      view.page++;
      loadList();
    }
  });
  $('usage-open').addEventListener('click', openUsage);
  $('usage-close').addEventListener('click', () => $('usage-dialog').close());
  $('usage-previous').addEventListener('click', () => {
    view.usagePage--;
    loadUsage();
  });
  $('usage-next').addEventListener('click', () => {
    view.usagePage++;
    loadUsage();
  });
  openProject(new URL(location.href).searchParams.get('project') || '');
}

wire();
