/*===- generate.c - greedy generation through ssmc's C API ---------------===
 *
 * Usage: ssmc-generate-c [--tp N] MODEL.ssmpkg MODEL_DIR COUNT ID [ID...]
 * Loads a model package (ssmc compile MODEL_DIR -o MODEL.ssmpkg) over its
 * checkpoint, prefills the prompt ids, then decodes COUNT tokens greedily
 * and prints them. What a server embedding ssmc does, minus the server.
 * With --tp N (a package compiled with --tp N): N ranks, one thread each,
 * each loading its slices of the weights and running the same calls; rank
 * 0 prints.
 *
 *===----------------------------------------------------------------------===*/
#include "ssmc/runtime/ssmc_runtime.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t argmax(const float *row, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (row[i] > row[best])
      best = i;
  return best;
}

/* One rank's work: its model, the prompt, what it generated. */
struct rank_job {
  ssmc_model *model;
  const int64_t *prompt;
  size_t len;
  int count;
  int64_t *out;
  int failed;
};

static void *generate(void *arg) {
  struct rank_job *job = arg;
  int64_t vocab = ssmc_model_vocab_size(job->model);
  const int64_t *prompts[1] = {job->prompt};
  ssmc_tensor logits;
  if (ssmc_model_prefill(job->model, prompts, &job->len, 1, &logits)) {
    fprintf(stderr, "error: %s\n", ssmc_last_error());
    job->failed = 1;
    return NULL;
  }
  /* The next token from the prompt's last position. */
  int64_t next =
      argmax((const float *)logits.data + (job->len - 1) * vocab, vocab);
  ssmc_tensor_release(&logits);
  for (int k = 0; k < job->count; ++k) {
    job->out[k] = next;
    if (k + 1 == job->count)
      break;
    if (ssmc_model_step(job->model, &next, 1, &logits)) {
      fprintf(stderr, "error: %s\n", ssmc_last_error());
      job->failed = 1;
      return NULL;
    }
    next = argmax((const float *)logits.data, vocab);
    ssmc_tensor_release(&logits);
  }
  return NULL;
}

int main(int argc, char **argv) {
  int tp = 1, first = 1;
  if (argc > 2 && strcmp(argv[1], "--tp") == 0) {
    tp = atoi(argv[2]);
    first = 3;
  }
  if (argc - first < 4 || tp < 1) {
    fprintf(stderr,
            "usage: %s [--tp N] MODEL.ssmpkg MODEL_DIR COUNT ID [ID...]\n",
            argv[0]);
    return 2;
  }
  const char *package = argv[first], *dir = argv[first + 1];
  int count = atoi(argv[first + 2]);
  size_t len = (size_t)(argc - first - 3);
  int64_t *prompt = malloc(len * sizeof(int64_t));
  for (size_t i = 0; i < len; ++i)
    prompt[i] = atoll(argv[first + 3 + i]);

  ssmc_comm_group *group = tp > 1 ? ssmc_comm_group_create(tp) : NULL;
  struct rank_job *jobs = calloc((size_t)tp, sizeof(struct rank_job));
  int status = 0;
  /* Every rank loads first: a rank that fails must not leave the others
   * waiting in a collective. */
  for (int r = 0; r < tp; ++r) {
    ssmc_comm *comm = group ? ssmc_comm_group_rank(group, r) : NULL;
    jobs[r].model = ssmc_model_load_rank(package, dir, comm);
    if (!jobs[r].model) {
      fprintf(stderr, "error: %s\n", ssmc_last_error());
      status = 1;
      break;
    }
    jobs[r] = (struct rank_job){jobs[r].model, prompt, len, count,
                                calloc((size_t)count + 1, sizeof(int64_t)), 0};
  }
  if (status == 0) {
    pthread_t *threads = calloc((size_t)tp, sizeof(pthread_t));
    for (int r = 1; r < tp; ++r)
      pthread_create(&threads[r], NULL, generate, &jobs[r]);
    generate(&jobs[0]);
    for (int r = 1; r < tp; ++r)
      pthread_join(threads[r], NULL);
    free(threads);
    for (int r = 0; r < tp; ++r)
      status |= jobs[r].failed;
  }
  if (status == 0) {
    printf("generated:");
    for (int k = 0; k < count; ++k)
      printf(" %lld", (long long)jobs[0].out[k]);
    printf("\n");
  }
  for (int r = 0; r < tp; ++r) {
    ssmc_model_free(jobs[r].model);
    free(jobs[r].out);
  }
  free(jobs);
  ssmc_comm_group_free(group);
  free(prompt);
  return status;
}
