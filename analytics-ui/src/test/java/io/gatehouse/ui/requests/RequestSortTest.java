package io.gatehouse.ui.requests;

import static org.assertj.core.api.Assertions.assertThat;

import com.vaadin.flow.data.provider.QuerySortOrder;
import com.vaadin.flow.data.provider.SortDirection;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequestSortTest {

  @Test
  void gridSortPropertiesMapToWhitelistedColumns() {
    assertThat(RequestsView.sortOf(List.of(new QuerySortOrder("cost", SortDirection.ASCENDING))))
        .isEqualTo(new RequestSort(RequestSort.Column.COST, false));
    assertThat(RequestsView.sortOf(List.of(new QuerySortOrder("ttft", SortDirection.DESCENDING))))
        .isEqualTo(new RequestSort(RequestSort.Column.TTFT, true));
  }

  @Test
  void unknownPropertiesNeverReachSqlAndFallBackToNewestFirst() {
    assertThat(RequestsView.sortOf(List.of(new QuerySortOrder("user; DROP TABLE x", SortDirection.ASCENDING))))
        .isEqualTo(RequestSort.NEWEST_FIRST);
    assertThat(RequestsView.sortOf(List.of())).isEqualTo(RequestSort.NEWEST_FIRST);
  }

  @Test
  void orderByBreaksTiesSoPagesAreStable() {
    assertThat(RequestSort.NEWEST_FIRST.orderBy()).isEqualTo("ts DESC, event_id DESC");
    assertThat(new RequestSort(RequestSort.Column.DURATION, false).orderBy())
        .isEqualTo("duration_ms ASC, ts DESC, event_id DESC");
  }
}
