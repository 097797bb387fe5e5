/**
 * What every part of csbs shares: {@link io.csbs.CsbsError}, implemented by every exception the
 * library throws for a refused value or change, and its stable {@link io.csbs.ErrorCode}s.
 */
package io.csbs;
