// 01-unclosed-connection, Java twin, fixed variant.
//
// What leaked (Leak.java): the handler returned early on a dropped peer
// without close(), so each dropped client kept its socket and its place in
// the server's set of open connections.
//
// The fix: try-with-resources. close() runs on every way out of the block,
// the early return and an exception included, as fixed.c's single
// ll_ws_conn_destroy() and the Go twin's defer.
//
// Signals: fds and threads return to the baseline.
import java.io.EOFException;
import java.io.IOException;

import leaklab.twin.Twin;

public final class Fixed {
	static void handle(Twin.Connection conn) throws IOException {
		// FIX: one cleanup on every path out, the early return included.
		try (conn) {
			for (;;) {
				Twin.Message m;

				try {
					m = conn.read();
				} catch (EOFException e) {
					return;
				}
				if (m == null)
					break; // the close handshake is over
				conn.send(m);
			}
		}
	}

	public static void main(String[] args) {
		Twin.main("01-unclosed-connection-fixed-java",
			  "Echo server that closes every connection, dropped ones too.", args,
			  Fixed::handle);
	}
}
