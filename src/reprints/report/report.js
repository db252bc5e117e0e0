// Click a highlighted run: outline every run of the same colour group in that pair,
// and scroll each side to its first one.
document.addEventListener("click", function (event) {
  var run = event.target.closest(".run");
  if (!run) return;
  var pair = run.closest(".pair");
  if (!pair) return;
  pair.querySelectorAll(".run.active").forEach(function (el) { el.classList.remove("active"); });
  var same = pair.querySelectorAll('.run[data-g="' + run.dataset.g + '"]');
  same.forEach(function (el) { el.classList.add("active"); });
  pair.querySelectorAll(".text").forEach(function (box) {
    if (box.contains(run)) return;
    var target = box.querySelector('.run[data-g="' + run.dataset.g + '"]');
    if (target) box.scrollTop = target.offsetTop - box.offsetTop - 20;
  });
});
