/** A modular application of csbs, as a user writes one: it reads csbs only through its exported API. */
module io.csbs.example.modular {
  requires csbs.postgres;
  requires csbs.json;
  requires csbs.server;
  requires java.net.http;
  requires csbs.testkit;
}
