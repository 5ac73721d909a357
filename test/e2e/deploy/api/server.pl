# Answers every connection on :8080 with a greeting, after READY_DELAY seconds of "start-up".
use strict;
use IO::Socket::INET;
$| = 1;
# PID 1 gets no default signal handlers: stop at once when asked.
$SIG{TERM} = $SIG{INT} = sub { exit 0 };
my $delay = $ENV{READY_DELAY} // 1;
print "api: starting, ready in ${delay}s\n";
select(undef, undef, undef, $delay);
my $server = IO::Socket::INET->new(LocalPort => 8080, Listen => 16, ReuseAddr => 1) or die "listen: $!";
print "api: listening on 8080\n";
while (my $client = $server->accept) {
  print $client "HTTP/1.0 200 OK\r\n\r\n" . ($ENV{GREETING} // "hello") . "\n";
  close $client;
}
