using System.Runtime.InteropServices;

namespace Crm.Jobs.Importing.Contacts;

/// <summary>
/// The phones and emails of a job's rows so far, as a Bloom filter of fixed size: a key is "maybe seen" or
/// "certainly not". A batch then looks up among the job's report rows only the keys it may have seen (those a row
/// repeats, and a few false positives) instead of all of them. The filter takes 1 MB whatever the file's size; a
/// larger file only makes false positives, each one key looked up in vain, more likely: about 1 key in 15,000 for a
/// file of 100,000 rows, 1 in 50 for a million keys.
/// </summary>
/// <remarks>
/// A key added by a unit of work that then rolls back stays "maybe seen": the lookup finds no row for it, as for any
/// false positive. Hashes are string hash codes, which change from process to process: a filter is built, from the
/// job's report rows, by the process that uses it.
/// </remarks>
internal sealed class SeenKeys
{
    private const int Bits = 1 << 23;
    private const int Probes = 4;
    private readonly ulong[] _words = new ulong[Bits / 64];

    public void Add(string key)
    {
        var (first, step) = Hashes(key);
        for (var i = 0; i < Probes; i++)
        {
            var bit = (first + ((uint)i * step)) % Bits;
            _words[bit / 64] |= 1UL << (int)(bit % 64);
        }
    }

    public bool MayContain(string key)
    {
        var (first, step) = Hashes(key);
        for (var i = 0; i < Probes; i++)
        {
            var bit = (first + ((uint)i * step)) % Bits;
            if ((_words[bit / 64] & (1UL << (int)(bit % 64))) == 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Two independent hashes (Marvin and xxHash32) for double hashing; the step is odd, so the probes differ.</summary>
    private static (uint First, uint Step) Hashes(string key)
    {
        var bytes = new HashCode();
        bytes.AddBytes(MemoryMarshal.AsBytes(key.AsSpan()));
        return ((uint)StringComparer.Ordinal.GetHashCode(key), (uint)bytes.ToHashCode() | 1);
    }
}
