// <gh-chart option='{...ECharts option JSON...}'>: renders Apache ECharts (window.echarts, loaded from
// the webjar by the server-side EChart component) into a div of its own, re-rendering whenever the
// option attribute changes and resizing with the element.
(function () {
  if (customElements.get('gh-chart')) {
    return;
  }
  class GhChart extends HTMLElement {
    static get observedAttributes() {
      return ['option'];
    }

    connectedCallback() {
      if (!this._canvasHost) {
        this._canvasHost = document.createElement('div');
        this._canvasHost.style.cssText = 'width:100%;height:100%';
        this.appendChild(this._canvasHost);
      }
      this._resizer = this._resizer || new ResizeObserver(() => this._chart && this._chart.resize());
      this._resizer.observe(this);
      this._render();
    }

    disconnectedCallback() {
      this._resizer.disconnect();
      clearTimeout(this._retry);
      if (this._chart) {
        this._chart.dispose();
        this._chart = null;
      }
    }

    attributeChangedCallback() {
      this._render();
    }

    _render() {
      const text = this.getAttribute('option');
      if (!this.isConnected || !this._canvasHost || !text) {
        return;
      }
      if (!window.echarts) { // the two scripts may arrive in either order
        clearTimeout(this._retry);
        this._retry = setTimeout(() => this._render(), 50);
        return;
      }
      if (!this._chart) {
        this._chart = window.echarts.init(this._canvasHost, null, { renderer: 'canvas' });
      }
      this._chart.setOption(JSON.parse(text), { notMerge: true });
    }
  }
  customElements.define('gh-chart', GhChart);
})();
