# Answers GET /healthz with 200 and anything else with 404, one request per connection.
use strict;
use IO::Socket::INET;
$| = 1;
# PID 1 gets no default signal handlers: stop at once when asked.
$SIG{TERM} = $SIG{INT} = sub { exit 0 };
my $server = IO::Socket::INET->new(LocalPort => 8080, Listen => 16, ReuseAddr => 1) or die "listen: $!";
print "web: listening on 8080\n";
while (my $client = $server->accept) {
  my $request = <$client> // "";
  # Read the headers up to the blank line.
  while (my $line = <$client>) { last if $line =~ /^\r?\n$/ }
  my ($status, $body) = $request =~ m{^GET /healthz[ ?]} ? ("200 OK", "ok\n") : ("404 Not Found", "no such page\n");
  print $client "HTTP/1.1 $status\r\nContent-Length: " . length($body) . "\r\nConnection: close\r\n\r\n$body";
  close $client;
}
