package io.csbs.postgres;

import io.csbs.backup.Operation;
import io.csbs.lifecycle.Transition;

/** How the change feed stores a {@link Transition}: a name and an argument (the percentage, the reason). */
final class Transitions {
  private Transitions() {}

  static String name(Transition transition) {
    if (transition == null) {
      return null;
    }
    if (transition instanceof Transition.Start) {
      switch (((Transition.Start) transition).operation()) {
        case RESTORE:
          return "restore";
        case INSTANT_RESTORE:
          return "instant_restore";
        default:
          return "delete";
      }
    }
    if (transition instanceof Transition.ReportProgress) {
      return "progress";
    }
    if (transition instanceof Transition.Fail) {
      return "fail";
    }
    return "complete";
  }

  static String argument(Transition transition) {
    if (transition instanceof Transition.ReportProgress) {
      return Integer.toString(((Transition.ReportProgress) transition).percent());
    }
    if (transition instanceof Transition.Fail) {
      return ((Transition.Fail) transition).reason();
    }
    return null;
  }

  /** The transition of a stored name and argument; null for none. */
  static Transition of(String name, String argument) {
    if (name == null) {
      return null;
    }
    switch (name) {
      case "restore":
        return Transition.start(Operation.RESTORE);
      case "instant_restore":
        return Transition.start(Operation.INSTANT_RESTORE);
      case "delete":
        return Transition.start(Operation.DELETE);
      case "progress":
        return Transition.reportProgress(Integer.parseInt(argument));
      case "fail":
        return Transition.fail(argument);
      case "complete":
        return Transition.complete();
      default:
        throw new IllegalStateException("the change feed names an unknown transition '" + name
            + "', written by a later version of the library: upgrade the library");
    }
  }
}
