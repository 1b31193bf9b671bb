package io.gatehouse.ui.chart;

import com.vaadin.flow.component.Component;
import com.vaadin.flow.component.HasSize;
import com.vaadin.flow.component.HasStyle;
import com.vaadin.flow.component.Tag;
import com.vaadin.flow.component.dependency.JavaScript;

/**
 * An Apache ECharts chart: the {@code <gh-chart>} element (META-INF/resources/gatehouse/gh-chart.js)
 * renders the option JSON it is given. Scripts load from the servlet context, never from a custom
 * frontend bundle (see INFRA.md).
 */
@Tag("gh-chart")
@JavaScript("context://webjars/echarts/5.3.1/dist/echarts.min.js")
@JavaScript("context://gatehouse/gh-chart.js")
public class EChart extends Component implements HasSize, HasStyle {

  /** Replaces the chart's option (an ECharts option object as JSON). */
  public void setOption(String optionJson) {
    getElement().setAttribute("option", optionJson);
  }
}
