# Sourced by cpu-by-process.sh and run-queue-waits.sh: `process_group CMDLINE` sets `group` to the
# part of the system a process belongs to: a service's name (it runs from its folder,
# services/<name>/), rabbitmq, postgresql, load-generator or other.
process_group() {
  if [[ $1 =~ services/([a-z0-9-]+)/ ]]; then
    group=${BASH_REMATCH[1]}
  else
    case "$1" in
      *beam.smp*) group=rabbitmq ;; *postgres*) group=postgresql ;; *tools/load/*) group=load-generator ;; *) group=other ;;
    esac
  fi
}
