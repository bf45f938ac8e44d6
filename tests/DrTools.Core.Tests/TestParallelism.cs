// Most of a test's time is waiting on servers (a failover's settling, a poll until replay): with two classes at a time the
// suite left the machine idle between waits and took 19-22 min, the longest of the suites.
[assembly: CollectionBehavior(MaxParallelThreads = 3)]
