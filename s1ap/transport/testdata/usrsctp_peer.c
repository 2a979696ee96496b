/*
 * usrsctp_peer: a foreign SCTP stack (usrsctp, Debian libusrsctp-dev) for
 * the interop test of package transport (usrsctp_test.go). Test harness
 * only; never part of the product build.
 *
 *   usrsctp_peer conn-client UDPPORT N   usrsctp in AF_CONN mode; this program
 *                                        does the UDP I/O to 127.0.0.1:UDPPORT
 *   usrsctp_peer inet-client UDPPORT N LOCALUDPPORT
 *                                        usrsctp's own UDP encapsulation from
 *                                        LOCALUDPPORT (AF_INET,
 *                                        SCTP_REMOTE_UDP_ENCAPS_PORT)
 *   usrsctp_peer conn-server UDPPORT N   AF_CONN listener on UDP 127.0.0.1:UDPPORT;
 *                                        echoes N messages
 *
 * A client associates with SCTP port 36412, sends N messages with PPID 18 on
 * stream (i % 4) + 1 and expects each echoed on the same stream with PPID
 * 18. The last line of output is "ok sent=N received=N" or "fail: why".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <usrsctp.h>

#define S1AP_PORT 36412
#define S1AP_PPID 18

static int udp_fd = -1;
static struct sockaddr_in udp_peer;
static volatile int udp_peer_known;

static void fail(const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	printf("fail: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
	_exit(1);
}

/* AF_CONN output: usrsctp hands us a whole SCTP packet; we put it in UDP. */
static int conn_output(void *addr, void *buf, size_t len, uint8_t tos, uint8_t set_df) {
	(void)addr; (void)tos; (void)set_df;
	if (!udp_peer_known)
		return 0;
	if (sendto(udp_fd, buf, len, 0, (struct sockaddr *)&udp_peer, sizeof udp_peer) < 0)
		return errno;
	return 0;
}

static void *udp_reader(void *arg) {
	(void)arg;
	static char buf[65536];
	for (;;) {
		struct sockaddr_in from;
		socklen_t fl = sizeof from;
		ssize_t n = recvfrom(udp_fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
		if (n < 0) {
			if (errno == EINTR || errno == ECONNREFUSED)
				continue;
			return NULL;
		}
		if (!udp_peer_known) {
			udp_peer = from;
			udp_peer_known = 1;
		}
		usrsctp_conninput(&udp_fd, buf, (size_t)n, 0);
	}
}

static void open_udp(int bind_port, int peer_port) {
	udp_fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (udp_fd < 0)
		fail("udp socket: %s", strerror(errno));
	struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = htons(bind_port)};
	local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(udp_fd, (struct sockaddr *)&local, sizeof local) < 0)
		fail("udp bind: %s", strerror(errno));
	if (peer_port) {
		udp_peer.sin_family = AF_INET;
		udp_peer.sin_port = htons(peer_port);
		udp_peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		udp_peer_known = 1;
	}
	pthread_t th;
	if (pthread_create(&th, NULL, udp_reader, NULL) != 0)
		fail("pthread_create");
}

static struct sockaddr_conn sconn(void) {
	struct sockaddr_conn a;
	memset(&a, 0, sizeof a);
	a.sconn_family = AF_CONN;
#ifdef HAVE_SCONN_LEN
	a.sconn_len = sizeof a;
#endif
	a.sconn_port = htons(S1AP_PORT);
	a.sconn_addr = &udp_fd;
	return a;
}

static void set_common(struct socket *s) {
	struct sctp_initmsg im;
	memset(&im, 0, sizeof im);
	im.sinit_num_ostreams = 8;
	im.sinit_max_instreams = 8;
	im.sinit_max_attempts = 3;      /* an unanswered INIT fails in seconds */
	im.sinit_max_init_timeo = 500;  /* ms */
	if (usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_INITMSG, &im, sizeof im) < 0)
		fail("SCTP_INITMSG: %s", strerror(errno));
	int on = 1;
	if (usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof on) < 0)
		fail("SCTP_RECVRCVINFO: %s", strerror(errno));
}

static void send_msg(struct socket *s, uint16_t sid, const char *data, size_t len) {
	struct sctp_sndinfo si;
	memset(&si, 0, sizeof si);
	si.snd_sid = sid;
	si.snd_ppid = htonl(S1AP_PPID);
	if (usrsctp_sendv(s, data, len, NULL, 0, &si, sizeof si, SCTP_SENDV_SNDINFO, 0) < 0)
		fail("sendv: %s", strerror(errno));
}

/* recv_msg returns the message length; sid and ppid (host order) out. */
static ssize_t recv_msg(struct socket *s, char *buf, size_t cap, uint16_t *sid, uint32_t *ppid) {
	struct sctp_rcvinfo ri;
	socklen_t ilen = sizeof ri, flen = 0;
	unsigned int itype = 0;
	int flags = 0;
	ssize_t n = usrsctp_recvv(s, buf, cap, NULL, &flen, &ri, &ilen, &itype, &flags);
	if (n <= 0)
		return n;
	if (flags & MSG_NOTIFICATION)
		return recv_msg(s, buf, cap, sid, ppid);
	if (itype != SCTP_RECVV_RCVINFO)
		fail("no rcvinfo");
	*sid = ri.rcv_sid;
	*ppid = ntohl(ri.rcv_ppid);
	return n;
}

static int run_client(struct socket *s, int n) {
	char msg[100], got[2048];
	for (int i = 0; i < n; i++) {
		memset(msg, 0, sizeof msg);
		snprintf(msg, sizeof msg, "S1AP-like message %d from usrsctp", i);
		send_msg(s, (uint16_t)(i % 4 + 1), msg, sizeof msg);
	}
	int received = 0;
	for (int i = 0; i < n; i++) {
		uint16_t sid;
		uint32_t ppid;
		ssize_t len = recv_msg(s, got, sizeof got, &sid, &ppid);
		if (len <= 0)
			fail("recv after %d messages: %zd %s", received, len, strerror(errno));
		if (ppid != S1AP_PPID)
			fail("echo %d: ppid %u", i, ppid);
		if (len != 100 || strncmp(got, "S1AP-like message", 17) != 0)
			fail("echo %d: %zd bytes %.30s", i, len, got);
		int seq = atoi(got + 18);
		if (sid != (uint16_t)(seq % 4 + 1))
			fail("echo of %d on stream %u", seq, sid);
		received++;
	}
	printf("ok sent=%d received=%d\n", n, received);
	fflush(stdout);
	usrsctp_close(s);
	return 0;
}

int main(int argc, char **argv) {
	if (argc != 4 && argc != 5)
		fail("usage: %s conn-client|inet-client|conn-server UDPPORT N [LOCALUDPPORT]", argv[0]);
	const char *mode = argv[1];
	int port = atoi(argv[2]), n = atoi(argv[3]);
	alarm(20); /* never outlive the test */

	if (strcmp(mode, "conn-client") == 0) {
		open_udp(0, port);
		usrsctp_init(0, conn_output, NULL);
		usrsctp_register_address(&udp_fd);
		struct socket *s = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0, NULL);
		if (!s)
			fail("usrsctp_socket: %s", strerror(errno));
		set_common(s);
		struct sockaddr_conn a = sconn();
		if (usrsctp_bind(s, (struct sockaddr *)&a, sizeof a) < 0)
			fail("bind: %s", strerror(errno));
		if (usrsctp_connect(s, (struct sockaddr *)&a, sizeof a) < 0)
			fail("connect: %s", strerror(errno));
		return run_client(s, n);
	}
	if (strcmp(mode, "inet-client") == 0) {
		if (argc != 5)
			fail("inet-client needs LOCALUDPPORT");
		/* usrsctp opens its own UDP tunneling socket on this port (RFC 6951). */
		usrsctp_init((uint16_t)atoi(argv[4]), NULL, NULL);
		struct socket *s = usrsctp_socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0, NULL);
		if (!s)
			fail("usrsctp_socket: %s", strerror(errno));
		set_common(s);
		struct sctp_udpencaps enc;
		memset(&enc, 0, sizeof enc);
		enc.sue_address.ss_family = AF_INET;
		enc.sue_port = htons(port);
		if (usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_REMOTE_UDP_ENCAPS_PORT, &enc, sizeof enc) < 0)
			fail("SCTP_REMOTE_UDP_ENCAPS_PORT: %s", strerror(errno));
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(S1AP_PORT)};
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (usrsctp_connect(s, (struct sockaddr *)&a, sizeof a) < 0)
			fail("connect: %s", strerror(errno));
		return run_client(s, n);
	}
	if (strcmp(mode, "conn-server") == 0) {
		open_udp(port, 0);
		usrsctp_init(0, conn_output, NULL);
		usrsctp_register_address(&udp_fd);
		struct socket *l = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0, NULL);
		if (!l)
			fail("usrsctp_socket: %s", strerror(errno));
		set_common(l);
		struct sockaddr_conn a = sconn();
		if (usrsctp_bind(l, (struct sockaddr *)&a, sizeof a) < 0)
			fail("bind: %s", strerror(errno));
		if (usrsctp_listen(l, 1) < 0)
			fail("listen: %s", strerror(errno));
		printf("listening\n");
		fflush(stdout);
		struct socket *s = usrsctp_accept(l, NULL, NULL);
		if (!s)
			fail("accept: %s", strerror(errno));
		int on = 1;
		usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof on);
		char buf[2048];
		for (int i = 0; i < n; i++) {
			uint16_t sid;
			uint32_t ppid;
			ssize_t len = recv_msg(s, buf, sizeof buf, &sid, &ppid);
			if (len <= 0)
				fail("recv %d: %zd", i, len);
			if (ppid != S1AP_PPID)
				fail("message %d: ppid %u", i, ppid);
			send_msg(s, sid, buf, (size_t)len);
		}
		printf("ok echoed=%d\n", n);
		fflush(stdout);
		/* Wait for the peer to read and close. */
		uint16_t sid;
		uint32_t ppid;
		(void)recv_msg(s, buf, sizeof buf, &sid, &ppid);
		return 0;
	}
	fail("unknown mode %s", mode);
	return 1;
}
