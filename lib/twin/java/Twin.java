// Twin.java - the program around a Java twin of a case: what lib/app.c is
// to the C programs. It parses --host and --port, serves WebSocket on "/"
// and a Prometheus /metrics on the same port, prints the kit's ready line,
// runs the case's handler on a thread per connection (the classic
// ServerSocket server), and on SIGTERM or SIGINT shuts down: the listener
// closes, every open connection gets a close frame (1001, going away), and
// the process exits 0 once they have closed, or after a second.
//
// The JDK has a WebSocket client (java.net.http) but no server, so this
// file is the server side of RFC 6455 the twins need, on java.net.Socket:
// the opening handshake (section 4.2), framing (5.2) with the client's
// masking (5.3), fragments (5.4), ping and pong (5.5.2, 5.5.3) and the
// closing handshake (5.5.1, 7). No extension or subprotocol is offered.
//
// A Connection is AutoCloseable and belongs to the handler it is given:
// close() takes it out of the server's set of open connections (kept for
// the shutdown's close frames, as a servlet container keeps its sessions)
// and closes its socket. A handler that returns without close() leaves
// both: the lesson of 01's Java twin, whose fix is try-with-resources.
//
// /metrics serves the JVM's own view of the process: its open file
// descriptors as JMX reports them (UnixOperatingSystemMXBean, what
// JConsole shows as OpenFileDescriptorCount), its threads from
// /proc/self/status, the heap in use after System.gc(), and the size of
// the set of open connections (leaklab_connections): the count the
// harness reads as a Java twin's runtime signal.
package leaklab.twin;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public final class Twin {
	/* RFC 6455 section 5.2: the opcodes. */
	public static final int TEXT = 0x1, BINARY = 0x2, CLOSE = 0x8, PING = 0x9, PONG = 0xA;
	private static final int CONTINUATION = 0x0;
	/* A message or request head larger than these is refused (1009, or 400). */
	private static final int MAX_MESSAGE = 1 << 20, MAX_HEAD = 8192;
	/* Section 1.3: appended to the client's key before the SHA-1. */
	private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	/* A client that sends no complete request head in this long is dropped. */
	private static final int HEAD_TIMEOUT_MS = 5000;

	/** One message: its opcode (TEXT or BINARY) and its payload. */
	public static final class Message {
		public final int opcode;
		public final byte[] data;

		public Message(int opcode, byte[] data) {
			this.opcode = opcode;
			this.data = data;
		}
	}

	/** What a case's program gives main(): the handler of one connection. */
	public interface Handler {
		/*
		 * Runs on the connection's own thread, which ends when it returns.
		 * The connection is the handler's to close; an exception is the
		 * handler's way out too, and closes nothing.
		 */
		void handle(Connection conn) throws IOException;
	}

	/** An open WebSocket connection: the server's set holds it until close(). */
	public static final class Connection implements AutoCloseable {
		private final Socket socket;
		private final InputStream in;
		private final OutputStream out;
		private final Set<Connection> open;
		private boolean closeSent; /* guarded by out */

		private Connection(Socket socket, InputStream in, Set<Connection> open)
				throws IOException {
			this.socket = socket;
			this.in = in;
			this.out = socket.getOutputStream();
			this.open = open;
		}

		/*
		 * The next message. Answers pings (section 5.5.2) and the peer's
		 * close frame (section 5.5.1) itself. Returns null once the close
		 * handshake is over; throws EOFException when the peer vanished
		 * without one (the end of the stream: RFC 6455's 1006, abnormal
		 * closure), and IOException on a reset or a protocol error (after
		 * sending the close frame the error calls for).
		 */
		public Message read() throws IOException {
			ByteArrayOutputStream msg = null;
			int msgOpcode = 0;

			for (;;) {
				int b0 = in.read(), b1 = in.read();

				if (b0 < 0 || b1 < 0)
					throw new EOFException("the peer went away without a close frame (1006)");
				boolean fin = (b0 & 0x80) != 0, masked = (b1 & 0x80) != 0;
				int opcode = b0 & 0x0F;
				long len = b1 & 0x7F;

				/* Section 5.2: no extension was agreed, so RSV1-3 must be 0. */
				if ((b0 & 0x70) != 0)
					throw fail(1002, "a reserved bit is set");
				/* Section 5.1: every frame a client sends is masked. */
				if (!masked)
					throw fail(1002, "an unmasked frame from the client");
				if (len == 126)
					len = readN(2);
				else if (len == 127)
					len = readN(8);
				/* Section 5.5: control frames are short and never fragmented. */
				if (opcode >= CLOSE && (len > 125 || !fin))
					throw fail(1002, "a bad control frame");
				if (len > MAX_MESSAGE || (msg != null && msg.size() + len > MAX_MESSAGE))
					throw fail(1009, "a message over " + MAX_MESSAGE + " bytes");
				byte[] key = readFully(4);
				byte[] data = readFully((int) len);

				/* Section 5.3: unmask with the four key bytes in turn. */
				for (int i = 0; i < data.length; i++)
					data[i] ^= key[i & 3];
				switch (opcode) {
				case PING:
					send(PONG, data);
					continue;
				case PONG:
					continue;
				case CLOSE:
					/* Section 5.5.1: answer with the same status, then close. */
					synchronized (out) {
						if (!closeSent)
							sendFrame(CLOSE, data.length >= 2 ? new byte[] {data[0], data[1]}
											 : new byte[0]);
						closeSent = true;
					}
					return null;
				case TEXT:
				case BINARY:
					if (msg != null)
						throw fail(1002, "a new message inside a fragmented one");
					msg = new ByteArrayOutputStream();
					msgOpcode = opcode;
					break;
				case CONTINUATION:
					if (msg == null)
						throw fail(1002, "a continuation with no message to continue");
					break;
				default:
					throw fail(1002, "an unknown opcode " + opcode);
				}
				msg.write(data);
				if (!fin)
					continue;
				byte[] whole = msg.toByteArray();

				/* Section 8.1: a text message is UTF-8, or the connection fails (1007). */
				if (msgOpcode == TEXT && !utf8(whole))
					throw fail(1007, "a text message that is not UTF-8");
				return new Message(msgOpcode, whole);
			}
		}

		/* Sends a message (TEXT, BINARY, PONG) in one frame; safe from any thread. */
		public void send(int opcode, byte[] data) throws IOException {
			synchronized (out) {
				if (closeSent)
					throw new SocketException("the close frame has been sent");
				sendFrame(opcode, data);
			}
		}

		public void send(Message m) throws IOException {
			send(m.opcode, m.data);
		}

		/*
		 * Starts the closing handshake with status code (section 7.4.1), if
		 * no close frame has gone yet. Returns whether one went now; a
		 * write error counts as no.
		 */
		public boolean sendClose(int code, String reason) {
			byte[] r = reason.getBytes(StandardCharsets.UTF_8);
			byte[] payload = new byte[2 + r.length];

			payload[0] = (byte) (code >> 8);
			payload[1] = (byte) code;
			System.arraycopy(r, 0, payload, 2, r.length);
			synchronized (out) {
				if (closeSent)
					return false;
				closeSent = true;
				try {
					sendFrame(CLOSE, payload);
					return true;
				} catch (IOException e) {
					return false;
				}
			}
		}

		/*
		 * Leaves the server's set of open connections and closes the socket.
		 * Idempotent; a close error is of no use to anyone and is dropped.
		 */
		@Override
		public void close() {
			open.remove(this);
			try {
				socket.close();
			} catch (IOException e) {
				/* The descriptor is released either way. */
			}
		}

		private IOException fail(int code, String why) {
			sendClose(code, "");
			return new IOException(why + " (closed with " + code + ")");
		}

		private void sendFrame(int opcode, byte[] data) throws IOException {
			ByteArrayOutputStream f = new ByteArrayOutputStream(data.length + 10);

			/* Section 5.2: FIN set, no mask from a server (section 5.1). */
			f.write(0x80 | opcode);
			if (data.length < 126) {
				f.write(data.length);
			} else if (data.length < 65536) {
				f.write(126);
				f.write(data.length >> 8);
				f.write(data.length);
			} else {
				f.write(127);
				for (int shift = 56; shift >= 0; shift -= 8)
					f.write((int) ((long) data.length >> shift));
			}
			f.write(data);
			out.write(f.toByteArray());
			out.flush();
		}

		private long readN(int n) throws IOException {
			long v = 0;

			for (byte b : readFully(n))
				v = (v << 8) | (b & 0xFF);
			if (v < 0)
				throw fail(1002, "a frame length with its top bit set");
			return v;
		}

		private byte[] readFully(int n) throws IOException {
			byte[] b = in.readNBytes(n);

			if (b.length < n)
				throw new EOFException("the peer went away inside a frame (1006)");
			return b;
		}
	}

	private static boolean utf8(byte[] data) {
		try {
			StandardCharsets.UTF_8.newDecoder()
					.onMalformedInput(CodingErrorAction.REPORT)
					.onUnmappableCharacter(CodingErrorAction.REPORT)
					.decode(ByteBuffer.wrap(data));
			return true;
		} catch (CharacterCodingException e) {
			return false;
		}
	}

	/* The Threads: line of /proc/self/status: the JVM's own threads too. */
	private static long threads() {
		try {
			Matcher m = Pattern.compile("(?m)^Threads:\\s+(\\d+)")
					    .matcher(Files.readString(Path.of("/proc/self/status")));
			return m.find() ? Long.parseLong(m.group(1)) : -1;
		} catch (IOException e) {
			return -1;
		}
	}

	/*
	 * The open descriptors as the JVM counts them (it leaves out the one it
	 * opens on /proc/self/fd to count them).
	 */
	private static long fds() {
		var os = ManagementFactory.getOperatingSystemMXBean();

		if (os instanceof com.sun.management.UnixOperatingSystemMXBean)
			return ((com.sun.management.UnixOperatingSystemMXBean) os)
				       .getOpenFileDescriptorCount();
		return -1;
	}

	private String metrics() {
		/* A full collection first, so the heap is what the objects hold. */
		System.gc();
		long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();

		/*
		 * The threads less this request's own (a thread per connection),
		 * which a count from /proc between requests does not see; the fds
		 * include its socket, as every program's /metrics does.
		 */
		return "# HELP leaklab_heap_bytes Java heap in use after System.gc().\n"
			+ "# TYPE leaklab_heap_bytes gauge\n"
			+ "leaklab_heap_bytes " + heap + "\n"
			+ "# HELP leaklab_threads Threads in this process (/proc/self/status).\n"
			+ "# TYPE leaklab_threads gauge\n"
			+ "leaklab_threads " + (threads() - 1) + "\n"
			+ "# HELP leaklab_open_fds Open file descriptors, as JMX counts them.\n"
			+ "# TYPE leaklab_open_fds gauge\n"
			+ "leaklab_open_fds " + fds() + "\n"
			+ "# HELP leaklab_connections WebSocket connections in the server's set of open ones.\n"
			+ "# TYPE leaklab_connections gauge\n"
			+ "leaklab_connections " + open.size() + "\n";
	}

	/* The request head, up to the blank line; null if the peer sent none. */
	private static List<String> readHead(InputStream in) throws IOException {
		ByteArrayOutputStream line = new ByteArrayOutputStream();
		List<String> head = new ArrayList<>();
		int total = 0, c;

		while ((c = in.read()) >= 0) {
			if (++total > MAX_HEAD)
				return null;
			if (c != '\n') {
				line.write(c);
				continue;
			}
			String l = line.toString(StandardCharsets.ISO_8859_1).replaceFirst("\r$", "");

			line.reset();
			if (l.isEmpty())
				return head;
			head.add(l);
		}
		return null;
	}

	/* The value of header name (case-insensitive), or null. */
	private static String header(List<String> head, String name) {
		for (String h : head.subList(1, head.size())) {
			int colon = h.indexOf(':');

			if (colon > 0 && h.substring(0, colon).trim().equalsIgnoreCase(name))
				return h.substring(colon + 1).trim();
		}
		return null;
	}

	/* Whether a comma-separated header value holds token (RFC 6455 4.2.1). */
	private static boolean hasToken(String value, String token) {
		if (value == null)
			return false;
		for (String t : value.split(","))
			if (t.trim().equalsIgnoreCase(token))
				return true;
		return false;
	}

	private static void reply(OutputStream out, String status, String type, String body)
			throws IOException {
		byte[] b = body.getBytes(StandardCharsets.UTF_8);

		out.write(("HTTP/1.1 " + status + "\r\nContent-Type: " + type + "\r\nContent-Length: "
			   + b.length + "\r\nConnection: close\r\n\r\n")
				  .getBytes(StandardCharsets.ISO_8859_1));
		out.write(b);
		out.flush();
	}

	private final Set<Connection> open = ConcurrentHashMap.newKeySet();
	private final Handler handler;
	private volatile boolean stopping;

	private Twin(Handler handler) {
		this.handler = handler;
	}

	/*
	 * One accepted socket, on its own thread: the request, then either
	 * /metrics, a refusal, or the handshake and the handler.
	 */
	private void serve(Socket s) {
		Connection conn = null;

		try {
			InputStream in = new BufferedInputStream(s.getInputStream());
			OutputStream out = s.getOutputStream();

			s.setSoTimeout(HEAD_TIMEOUT_MS);
			List<String> head = readHead(in);

			if (head == null || head.isEmpty()) {
				s.close();
				return;
			}
			String[] req = head.get(0).split(" ");
			String key = header(head, "Sec-WebSocket-Key");

			if (req.length == 3 && req[0].equals("GET") && req[1].equals("/metrics")) {
				reply(out, "200 OK", "text/plain; version=0.0.4", metrics());
				s.close();
				return;
			}
			/* Section 4.2.1: what a valid opening handshake must carry. */
			if (req.length != 3 || !req[0].equals("GET") || !req[2].equals("HTTP/1.1")
			    || !hasToken(header(head, "Upgrade"), "websocket")
			    || !hasToken(header(head, "Connection"), "Upgrade")
			    || !"13".equals(header(head, "Sec-WebSocket-Version")) || key == null
			    || Base64.getDecoder().decode(key).length != 16) {
				reply(out, "400 Bad Request", "text/plain",
				      "a WebSocket server: upgrade, or GET /metrics\n");
				s.close();
				return;
			}
			/* Section 4.2.2: the accept value proves the server read the key. */
			String accept = Base64.getEncoder().encodeToString(
				MessageDigest.getInstance("SHA-1").digest(
					(key + GUID).getBytes(StandardCharsets.ISO_8859_1)));

			out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
				   + "Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n")
					  .getBytes(StandardCharsets.ISO_8859_1));
			out.flush();
			s.setSoTimeout(0);
			conn = new Connection(s, in, open);
			open.add(conn);
			if (stopping) /* SIGTERM came during the handshake: say goodbye. */
				conn.sendClose(1001, "server shutting down");
		} catch (IOException | IllegalArgumentException | NoSuchAlgorithmException e) {
			/* A broken or vanished client before the upgrade: nothing of it is kept. */
			try {
				s.close();
			} catch (IOException e2) {
				/* Closed either way. */
			}
			return;
		}
		try {
			handler.handle(conn);
		} catch (IOException e) {
			/* The handler's way out: what it did not close stays open. */
		}
	}

	/*
	 * Shutdown, from the JVM's shutdown hook (SIGTERM, SIGINT): the listener
	 * closes, each open connection gets 1001 (section 7.4.1) and the process
	 * halts with status 0 once they are all closed, or after a second. The
	 * halt is what makes the status 0: a JVM ended by a signal otherwise
	 * exits 143, its hooks run or not.
	 */
	private void stop(ServerSocket listener) {
		stopping = true;
		try {
			listener.close();
		} catch (IOException e) {
			/* It stops accepting either way. */
		}
		for (Connection c : open)
			c.sendClose(1001, "server shutting down");
		long deadline = System.nanoTime() + 1_000_000_000L;

		while (!open.isEmpty() && System.nanoTime() < deadline) {
			try {
				Thread.sleep(10);
			} catch (InterruptedException e) {
				break;
			}
		}
		System.out.flush();
		Runtime.getRuntime().halt(0);
	}

	private static void usage(String name, String summary) {
		System.out.print("usage: " + name + " [options]\n" + summary + "\n\n"
				 + "  --host ADDR       address to listen on (default 127.0.0.1)\n"
				 + "  --port N          port, 0 for any free one (default 0)\n"
				 + "  --help            this text\n\n"
				 + "Prints \"leaklab: listening on HOST:PORT\" when ready; SIGINT or "
				 + "SIGTERM stops it.\n");
	}

	/*
	 * Runs the server around handler until SIGTERM or SIGINT; exits 0 on
	 * --help, 2 on a bad option, 1 when it cannot listen.
	 */
	public static void main(String name, String summary, String[] args, Handler handler) {
		String host = "127.0.0.1";
		int port = 0;

		for (int i = 0; i < args.length; i++) {
			String a = args[i].replaceFirst("^--?", "");

			if (a.equals("help") || a.equals("h")) {
				usage(name, summary);
				System.exit(0);
			}
			String v = i + 1 < args.length ? args[++i] : null;

			if (a.equals("host") && v != null) {
				host = v;
			} else if (a.equals("port") && v != null && v.matches("\\d{1,5}")) {
				port = Integer.parseInt(v);
			} else {
				System.err.println(name + ": bad option --" + a + (v != null ? " " + v : ""));
				usage(name, summary);
				System.exit(2);
			}
		}
		Twin twin = new Twin(handler);
		ServerSocket listener;

		try {
			listener = new ServerSocket();
			listener.bind(new InetSocketAddress(InetAddress.getByName(host), port), 128);
		} catch (IOException e) {
			System.err.println(name + ": listen on " + host + ":" + port + ": " + e.getMessage());
			System.exit(1);
			return;
		}
		Runtime.getRuntime().addShutdownHook(new Thread(() -> twin.stop(listener)));
		System.out.printf(Locale.ROOT, "leaklab: listening on %s:%d%n",
				  listener.getInetAddress().getHostAddress(), listener.getLocalPort());
		System.out.flush();
		while (!twin.stopping) {
			try {
				Socket s = listener.accept();

				new Thread(() -> twin.serve(s), "conn").start();
			} catch (IOException e) {
				if (twin.stopping)
					break;
				System.err.println(name + ": accept: " + e.getMessage());
				/* Out of descriptors, say: let the handlers free some first. */
				try {
					Thread.sleep(10);
				} catch (InterruptedException e2) {
					break;
				}
			}
		}
	}
}
