// The web page of reprints serve: look a text up, show a match side by side.
async function post(url, body) {
  const r = await fetch(url, {method: 'POST', headers: {'Content-Type': 'application/json'},
                              body: JSON.stringify(body)});
  const text = await r.text();
  if (!r.ok) { throw new Error(text); }
  return text;
}
function show(id, markup) { document.getElementById(id).innerHTML = markup; }
async function search() {
  show('pair', '');
  try { show('matches', await post('/ui/matches', {text: document.getElementById('text').value})); }
  catch (e) {
    show('matches', '<p class="error"></p>');
    document.querySelector('#matches .error').textContent = e.message;  // as text, not HTML
  }
}
document.getElementById('file').addEventListener('change', async (event) => {
  const file = event.target.files[0];
  if (file) { document.getElementById('text').value = await file.text(); }
});
document.getElementById('go').addEventListener('click', search);
document.getElementById('matches').addEventListener('click', async (event) => {
  const row = event.target.closest('[data-doc]');
  if (!row) return;
  show('pair', await post('/ui/pair', {text: document.getElementById('text').value,
                                        id: row.dataset.doc}));
  document.getElementById('pair').scrollIntoView();
});
