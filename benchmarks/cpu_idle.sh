# Sourced by benchmarks/compare.sh and benchmarks/compare_train_step.sh: how
# busy this machine's CPUs are, so that a timing is taken on an idle machine
# and says how idle it was. Expects $wait_idle (seconds) for wait_for_idle.

# Busy and total jiffies of all CPUs so far.
jiffies() {
  awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat
}

# Percent of CPU time busy (all cores) over the next 2 seconds.
cpu_busy() {
  local b0 t0 b1 t1
  read -r b0 t0 <<<"$(jiffies)"
  sleep 2
  read -r b1 t1 <<<"$(jiffies)"
  echo $(((100 * (b1 - b0)) / (t1 > t0 ? t1 - t0 : 1)))
}

# Waits up to $wait_idle seconds for the CPUs to be idle (< 15% busy over
# 2 s); prints the last measured busy percentage.
wait_for_idle() {
  local deadline=$((SECONDS + wait_idle)) busy
  busy="$(cpu_busy)"
  while ((busy >= 15 && SECONDS < deadline)); do
    echo "  CPUs ${busy}% busy; waiting up to ${wait_idle} s for idle..." >&2
    busy="$(cpu_busy)"
  done
  echo "$busy"
}
