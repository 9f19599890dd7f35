using GraphQL;

namespace Crm.GraphQL.Server.Subscriptions;

/// <summary>
/// Subscribers that asked the same (<see cref="SharedSubscriptionExecutionStrategy"/>'s key) share one event stream:
/// the first one's is subscribed for all, and each result is handed to every member. A thousand sockets on one inbox
/// then cost one bus subscriber, one pump and one pipeline per event, instead of a thousand of each.
/// </summary>
/// <remarks>
/// Each member still executed its own request, so validation and access rules ran for it. The shared stream does not
/// depend on its first member: graphql-dotnet runs each event with the subscription's own token, and the strategy
/// with a scope of its own, so the group outlives whoever created it, until its last member leaves.
/// A singleton rather than static state: two hosts in one process (tests) each have their own bus.
/// </remarks>
internal sealed class SubscriptionGroups
{
    private readonly Dictionary<string, Group> _groups = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>
    /// Joins <paramref name="member"/> to the group of <paramref name="stream"/>, or starts that group with it, and
    /// returns once the group listens on the bus (<see cref="BusReadiness"/>). Disposing the result leaves the group.
    /// </summary>
    public async Task<IDisposable> JoinAsync(IObservable<ExecutionResult> stream, IObserver<ExecutionResult> member, CancellationToken cancellationToken)
    {
        // Counted from here until the member leaves or its stream ends, whichever comes first: a socket may forget a
        // completed operation without leaving its group.
        var tracker = SubscriptionMetrics.Track();
        var counted = new CountedMember(member, tracker);
        try
        {
            return new Counted(await JoinCoreAsync(stream, counted, cancellationToken), tracker);
        }
        catch
        {
            tracker.End();
            throw;
        }
    }

    private async Task<IDisposable> JoinCoreAsync(IObservable<ExecutionResult> stream, IObserver<ExecutionResult> member, CancellationToken cancellationToken)
    {
        if (stream is not SharedSubscriptionExecutionStrategy.KeyedStream keyed)
        {
            return await BusReadiness.SubscribeAsync(() => stream.Subscribe(member), cancellationToken);
        }

        Group? group;
        bool first;
        lock (_gate)
        {
            first = !_groups.TryGetValue(keyed.Key, out group);
            if (first)
            {
                group = new Group(this, keyed.Key);
                _groups.Add(keyed.Key, group);
            }

            group!.Add(member);
        }

        var membership = new Membership(group, member);
        if (first)
        {
            // Not the member's token: the group's subscription must not end with the member that happened to start it.
            group.Start(BusReadiness.SubscribeAsync(() => keyed.Subscribe(group), CancellationToken.None));
        }

        try
        {
            await group.Listening.WaitAsync(cancellationToken);
        }
        catch
        {
            membership.Dispose();
            throw;
        }

        return membership;
    }

    private void Forget(Group group)
    {
        lock (_gate)
        {
            if (_groups.TryGetValue(group.Key, out var current) && current == group)
            {
                _groups.Remove(group.Key);
            }
        }
    }

    private sealed class Group(SubscriptionGroups groups, string key) : IObserver<ExecutionResult>
    {
        private readonly TaskCompletionSource<IDisposable> _subscription = new(TaskCreationOptions.RunContinuationsAsynchronously);

        // Copied on write: every event reads it, members come and go rarely.
        private volatile IObserver<ExecutionResult>[] _members = [];

        public string Key => key;

        public Task Listening => _subscription.Task;

        public void Start(Task<IDisposable> subscribing) => _ = StartAsync(subscribing);

        public void Add(IObserver<ExecutionResult> member) => _members = [.. _members, member];

        public void Remove(IObserver<ExecutionResult> member)
        {
            bool last;
            lock (groups._gate)
            {
                _members = Array.FindAll(_members, m => m != member);
                last = _members.Length == 0;
                if (last && groups._groups.TryGetValue(key, out var current) && current == this)
                {
                    groups._groups.Remove(key);
                }
            }

            if (last)
            {
                _ = _subscription.Task.ContinueWith(t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            }
        }

        public void OnNext(ExecutionResult value)
        {
            foreach (var member in _members)
            {
                member.OnNext(value);
            }
        }

        public void OnError(Exception error)
        {
            groups.Forget(this);
            foreach (var member in _members)
            {
                member.OnError(error);
            }
        }

        public void OnCompleted()
        {
            groups.Forget(this);
            foreach (var member in _members)
            {
                member.OnCompleted();
            }
        }

        private async Task StartAsync(Task<IDisposable> subscribing)
        {
            try
            {
                _subscription.SetResult(await subscribing);
            }
            catch (Exception ex)
            {
                groups.Forget(this);
                _subscription.SetException(ex);
            }
        }
    }

    private sealed class CountedMember(IObserver<ExecutionResult> member, SubscriptionMetrics.Tracker tracker) : IObserver<ExecutionResult>
    {
        public void OnNext(ExecutionResult value) => member.OnNext(value);

        public void OnError(Exception error)
        {
            tracker.End();
            member.OnError(error);
        }

        public void OnCompleted()
        {
            tracker.End();
            member.OnCompleted();
        }
    }

    private sealed class Counted(IDisposable inner, SubscriptionMetrics.Tracker tracker) : IDisposable
    {
        public void Dispose()
        {
            tracker.End();
            inner.Dispose();
        }
    }

    private sealed class Membership(Group group, IObserver<ExecutionResult> member) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                group.Remove(member);
            }
        }
    }
}
