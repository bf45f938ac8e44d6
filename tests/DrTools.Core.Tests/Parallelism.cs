// Most of a test's time is spent waiting on servers (a promotion, a replay, a timeout), not on the 2 cores: three test
// classes at once rather than one per core (the default), so the suite fits the run's time beside the others. Classes
// that share machine-wide state are one collection ("Faults") and never run beside each other.
[assembly: CollectionBehavior(MaxParallelThreads = 3)]
