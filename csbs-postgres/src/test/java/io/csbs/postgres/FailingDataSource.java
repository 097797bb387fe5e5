package io.csbs.postgres;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.postgresql.PGConnection;

/**
 * A data source whose connection really dies at a chosen step: when armed with {@code n}, the n-th
 * statement execution or commit after arming first has its server session terminated from another
 * connection ({@code pg_terminate_backend}), as a crashed server, a killed backend or a lost network
 * would end it, so that the call in progress fails with the driver's own exception.
 */
class FailingDataSource extends DelegatingDataSource {
  private final AtomicInteger countdown = new AtomicInteger(-1);
  /** The SQLState to refuse the armed step with, or null to kill the connection there. */
  private volatile String refusal;

  FailingDataSource(DataSource target) {
    super(target);
  }

  /** The {@code step}-th execution or commit from now kills its connection; 0 disarms. */
  void failAt(int step) {
    refusal = null;
    countdown.set(step <= 0 ? -1 : step);
  }

  /**
   * The {@code step}-th execution or commit from now is refused by the "server" with {@code
   * sqlState} (a serialization failure 40001, a deadlock 40P01) while the connection lives on.
   */
  void refuseAt(int step, String sqlState) {
    refusal = sqlState;
    countdown.set(step);
  }

  /** Whether the armed failure has happened. */
  boolean fired() {
    return countdown.get() == 0;
  }

  @Override
  public Connection getConnection() throws SQLException {
    return wrap(target.getConnection());
  }

  @Override
  public Connection getConnection(String user, String password) throws SQLException {
    return wrap(target.getConnection(user, password));
  }

  private Connection wrap(Connection real) {
    InvocationHandler handler = (proxy, method, args) -> {
      String name = method.getName();
      if (name.equals("commit")) {
        step(real);
      }
      Object result = invoke(real, method, args);
      if (result instanceof PreparedStatement) {
        return statement(real, (PreparedStatement) result, PreparedStatement.class);
      }
      if (result instanceof Statement) {
        return statement(real, (Statement) result, Statement.class);
      }
      return result;
    };
    return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class}, handler);
  }

  private <T extends Statement> T statement(Connection real, T statement, Class<T> type) {
    InvocationHandler handler = (proxy, method, args) -> {
      if (method.getName().startsWith("execute")) {
        step(real);
      }
      return invoke(statement, method, args);
    };
    return type.cast(Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {type}, handler));
  }

  /** At the armed step, ends the connection's server session from another one, and waits until it is gone. */
  private void step(Connection real) throws SQLException {
    if (countdown.get() > 0 && countdown.decrementAndGet() == 0) {
      if (refusal != null) {
        throw new SQLException("ERROR: could not serialize access (injected)", refusal);
      }
      int pid = real.unwrap(PGConnection.class).getBackendPID();
      try (Connection admin = TestDatabase.plain().getConnection(); Statement kill = admin.createStatement()) {
        kill.execute("SELECT pg_terminate_backend(" + pid + ")");
        for (int wait = 0; wait < 500; wait++) {
          try (ResultSet alive = kill.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid)) {
            alive.next();
            if (alive.getLong(1) == 0) {
              return;
            }
          }
          Thread.onSpinWait();
        }
      }
    }
  }

  private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
