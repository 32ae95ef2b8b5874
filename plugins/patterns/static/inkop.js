// Draws every chart on an /inkop page: a <script type="application/json" data-vega-lite="ID">
// holds the Vega-Lite specification for the element with that ID. The tables next to each
// chart carry the same figures, so the page reads without JavaScript.
document.querySelectorAll("script[type='application/json'][data-vega-lite]").forEach((source) => {
  const target = document.getElementById(source.dataset.vegaLite);
  const swedish = { decimal: ",", thousands: "\u00a0", grouping: [3], currency: ["", " kr"] };
  vegaEmbed(target, JSON.parse(source.textContent),
            { actions: false, renderer: "svg", formatLocale: swedish })
    .catch((error) => { target.textContent = "Diagrammet kunde inte ritas: " + error.message; });
});
