// 01-unclosed-connection, Java twin, leaking variant.
//
// What leaks: every client that drops without a close frame leaves its
// socket open and its Connection held: one file descriptor each, for as
// long as the process runs.
//
// Why: the handler owns the connection the server gave it, and returns
// early when the peer vanished (read() throws EOFException: RFC 6455's
// 1006, abnormal closure) without calling close(). The server's set of
// open connections (kept to say goodbye on shutdown) still holds it, so
// not even the garbage collector's Cleaner, which closes an unreachable
// socket some time later, can reclaim it.
//
// The fix (Fixed.java): try-with-resources, whose close() runs on every
// way out of the block, the early return included.
//
// Signals: fds grow by one per dropped client; threads stay flat (the
// connection's thread does end).
import java.io.EOFException;
import java.io.IOException;

import leaklab.twin.Twin;

public final class Leak {
	static void handle(Twin.Connection conn) throws IOException {
		for (;;) {
			Twin.Message m;

			try {
				m = conn.read();
			} catch (EOFException e) {
				// LEAK: a vanished peer returns without close(): the connection
				// stays in the server's set, and its socket open.
				return;
			}
			if (m == null)
				break; // the close handshake is over
			conn.send(m);
		}
		conn.close();
	}

	public static void main(String[] args) {
		Twin.main("01-unclosed-connection-leak-java",
			  "Echo server that leaks the connection of every client that drops.", args,
			  Leak::handle);
	}
}
