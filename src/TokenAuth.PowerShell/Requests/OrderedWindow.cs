using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;

namespace TokenAuth.Commands
{
    /// <summary>
    /// Work started in input order, at most <see cref="Limit"/> of it in flight at once, handed back in that same order.
    /// A finished item waits only for the ones before it, so a slow request (a Retry-After, a slow answer) no longer
    /// stops others from starting; what waits is bounded by <see cref="Capacity"/>, in flight and finished together.
    /// </summary>
    internal sealed class OrderedWindow<T>
        where T : class
    {
        /// <summary>How many items, finished or not, may wait per item allowed in flight: the bound on memory held for ordering.</summary>
        internal const int CapacityPerSlot = 16;

        private readonly Queue<(T Item, Task Work)> _items = new Queue<(T, Task)>();

        public OrderedWindow(int limit)
        {
            Limit = limit;
            Capacity = limit * CapacityPerSlot;
        }

        /// <summary>How many items may be in flight at once.</summary>
        public int Limit { get; }

        /// <summary>How many items may wait to be handed back, in flight or finished.</summary>
        public int Capacity { get; }

        public int Count => _items.Count;

        /// <summary>Whether another item may start: fewer than <see cref="Limit"/> in flight, and room to wait.</summary>
        public bool HasRoom => _items.Count < Capacity && InFlight < Limit;

        private int InFlight => _items.Count(entry => !entry.Work.IsCompleted);

        public void Add(T item, Task work) => _items.Enqueue((item, work));

        /// <summary>The oldest item, once its work is done: the ones after it wait their turn however early they finished.</summary>
        public T? TakeFinished() => _items.Count > 0 && _items.Peek().Work.IsCompleted ? _items.Dequeue().Item : null;

        /// <summary>The oldest item, finished or not; null when there is none.</summary>
        public T? TakeOldest() => _items.Count > 0 ? _items.Dequeue().Item : null;

        /// <summary>
        /// Completes when any item in flight finishes: there may be room, or the oldest may be done. Completed already
        /// when the last of them finished since the caller looked.
        /// </summary>
        public Task<Task> AnyFinishes()
        {
            var running = _items.Where(entry => !entry.Work.IsCompleted).Select(entry => entry.Work).ToList();
            return running.Count == 0 ? Task.FromResult(Task.CompletedTask) : Task.WhenAny(running);
        }
    }
}
