// 智能派单建议: while the agent types the description, ask /api/v1/dispatch-suggestions and show the
// suggested topic and handling department with their probabilities. A hint only: nothing is changed
// until the agent clicks one of the buttons, and the agent can still pick anything else.
(function () {
  const box = document.getElementById('dispatch-suggestion');
  const form = document.getElementById('ticket-form');
  if (!box || !form) return;
  const description = form.elements.description;
  const topic = form.elements.topic;
  const address = form.elements.address;
  const department = form.querySelector('select[name=department]');
  const csrf = form.elements.csrf_token.value;
  let timer = null;
  let asked = 0;
  let applying = false;   // the topic changes because the agent applied the hint: no new request

  function percent(p) { return Math.round(p * 100) + '%'; }

  function button(text, title, onClick, cls) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = text;
    b.title = title;
    if (cls) b.className = cls;
    b.addEventListener('click', onClick);
    return b;
  }

  function applyTopic(code) {
    if (!topic || topic.value === code) return;
    topic.value = code;
    applying = true;      // other scripts follow the topic; this one would only redraw the hint being clicked
    try { topic.dispatchEvent(new Event('change', {bubbles: true})); } finally { applying = false; }
  }

  function applyDepartment(code) {
    if (!department) return;
    department.value = code;
    const radio = form.querySelector('input[name=action][value=dispatch]');
    if (radio) radio.checked = true;
  }

  function render(answer) {
    box.replaceChildren();
    if (answer.status !== 'ok') {
      const note = document.createElement('span');
      note.className = 'muted';
      note.textContent = answer.message;
      box.append(note);
      box.hidden = false;
      return;
    }
    const title = document.createElement('strong');
    title.textContent = '智能派单建议 Suggestion ';
    box.append(title);
    const topics = answer.topics, departments = answer.departments;
    if (topics.length) {
      const line = document.createElement('div');
      line.className = 'suggested-topics';
      line.append('分类 Topic: ');
      topics.forEach(t => line.append(button(t.name + ' ' + percent(t.probability), '采用此分类 use this topic',
                                              () => applyTopic(t.code), 'suggested-topic')));
      box.append(line);
    }
    if (departments.length) {
      const line = document.createElement('div');
      line.className = 'suggested-departments';
      line.append('主办 Department: ');
      departments.forEach(d => line.append(button(d.name + ' ' + percent(d.probability),
                                                   '派给此单位 dispatch to this department',
                                                   () => applyDepartment(d.code), 'suggested-department')));
      box.append(line);
    }
    const apply = button('采用 Apply', '采用最可能的分类和主办单位 use the most likely topic and department', () => {
      if (topics.length && !topic.value) applyTopic(topics[0].code);
      if (departments.length) applyDepartment(departments[0].code);
    }, 'apply-suggestion');
    const source = document.createElement('span');
    source.className = 'muted';
    source.textContent = ' 模型 v' + answer.model.version + ' · 仅供参考, 由您决定 the agent decides';
    box.append(apply, source);
    box.hidden = false;
  }

  function ask() {
    const text = description.value.trim();
    if (text.length < 4) { box.hidden = true; return; }
    const mine = ++asked;
    const body = {description: text};
    if (topic && topic.value) body.topic = topic.value;
    if (address && address.value.trim()) body.address = address.value.trim();
    fetch(box.dataset.url, {method: 'POST', credentials: 'same-origin',
                            headers: {'Content-Type': 'application/json', 'Accept': 'application/json',
                                      'X-CSRF-Token': csrf},
                            body: JSON.stringify(body)})
      .then(r => r.ok ? r.json() : null)
      .then(answer => { if (answer && mine === asked) render(answer); })
      .catch(() => {});
  }

  function later() { clearTimeout(timer); timer = setTimeout(ask, 400); }
  description.addEventListener('input', later);
  if (topic) topic.addEventListener('change', () => { if (!applying) later(); });
  if (address) address.addEventListener('change', later);
  if (description.value.trim()) later();
})();
