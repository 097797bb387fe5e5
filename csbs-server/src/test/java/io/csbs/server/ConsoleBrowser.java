package io.csbs.server;

import java.time.Duration;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;

/**
 * Steps of the console page's browser tests, each one WebDriver command (a round trip to chromedriver
 * costs 5-10 ms on a loaded machine, and Selenium's {@code Select} and {@code WebDriverWait} take many:
 * they were most of these tests' time). Waits: the page marks its state on {@code <body>}
 * ({@code data-loads}: the number of list loads shown; {@code data-busy}: a request runs), and a script
 * polls it inside the browser every 5 ms.
 */
final class ConsoleBrowser {

  private static final String AWAIT = "const after = arguments[0], done = arguments[arguments.length - 1];"
      + " (function poll() { const body = document.body;"
      + " const loads = Number(body ? body.getAttribute('data-loads') || 0 : 0);"
      + " if (body && loads > after && body.getAttribute('data-busy') !== 'true') { done(loads); }"
      + " else { setTimeout(poll, 5); } })();";

  private ConsoleBrowser() {}

  /** Sets the longest wait of {@link #loadsAbove} and {@link #idle}; past it they throw a ScriptTimeoutException. */
  static void limit(WebDriver driver, Duration wait) {
    driver.manage().timeouts().scriptTimeout(wait);
  }

  /** The number of list loads the page has shown. */
  static int loads(WebDriver driver) {
    Object loads = ((JavascriptExecutor) driver).executeScript("return document.body.getAttribute('data-loads');");
    return loads == null ? 0 : Integer.parseInt(loads.toString());
  }

  /** Waits until the page has shown more than {@code after} list loads and no request runs. */
  static void loadsAbove(WebDriver driver, int after) {
    ((JavascriptExecutor) driver).executeAsyncScript(AWAIT, after);
  }

  /**
   * Chooses the option of value {@code value} of the select {@code id} and fires its change event, as a
   * user's choice does; an option that does not exist fails the test.
   */
  static void choose(WebDriver driver, String id, String value) {
    Object chosen = ((JavascriptExecutor) driver).executeScript(
        "const select = document.getElementById(arguments[0]);"
            + " if (![...select.options].some(option => option.value === arguments[1])) { return false; }"
            + " select.value = arguments[1]; select.dispatchEvent(new Event('input', {bubbles: true}));"
            + " select.dispatchEvent(new Event('change', {bubbles: true})); return true;", id, value);
    if (!Boolean.TRUE.equals(chosen)) {
      throw new AssertionError("the select " + id + " has no option " + value);
    }
  }

  /**
   * Clicks {@code element} as a script does ({@code element.click()}: the click event, a form's submit),
   * in one round trip where WebDriver's click, mouse events a frame apart, took 130 to 200 ms; an
   * element that is not rendered (no box: hidden, detached) fails the test, as WebDriver's click would.
   * A disabled button ignores it, as it ignores the mouse.
   */
  static void press(WebDriver driver, WebElement element) {
    Object pressed = ((JavascriptExecutor) driver).executeScript(
        "const e = arguments[0]; if (e.getClientRects().length === 0) { return false; } e.click(); return true;", element);
    if (!Boolean.TRUE.equals(pressed)) {
      throw new AssertionError("cannot click " + element + ": it is not shown");
    }
  }

  /** The value of the option chosen in the select {@code id}. */
  static String chosen(WebDriver driver, String id) {
    return (String) ((JavascriptExecutor) driver).executeScript("return document.getElementById(arguments[0]).value;", id);
  }

  /** Waits until no request of the page runs. */
  static void idle(WebDriver driver) {
    loadsAbove(driver, -1);
  }
}
