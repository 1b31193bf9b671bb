package io.gatehouse.proxy.events;

import io.gatehouse.schemas.GatehouseEvent;

/** Where finished events go. {@link #publish} never blocks and never throws. */
public interface EventSink {
  /** Hands an event off; false when it had to be dropped (counted and logged by the sink). */
  boolean publish(GatehouseEvent event);
}
