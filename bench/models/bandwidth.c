/* Memory read bandwidth of this machine now, the way the decode step reads
 * its weights: two threads each summing half of a 512 MiB f32 buffer (far
 * larger than any cache), best of five passes. Prints GB/s (1e9 bytes/s).
 * Built by cpu.sh with the host's compiler: cc -O3 -march=native -ffast-math
 * -pthread (fast-math lets the sum vectorise). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define N (1L << 27) /* floats: 512 MiB */
#define THREADS 2

static float *data;
static float sums[THREADS];

static void *sumHalf(void *arg) {
  long id = (long)arg;
  float s = 0.0f;
  for (long i = id * (N / THREADS); i < (id + 1) * (N / THREADS); ++i)
    s += data[i];
  sums[id] = s;
  return NULL;
}

int main(void) {
  data = aligned_alloc(4096, N * sizeof(float));
  if (!data) {
    fprintf(stderr, "bandwidth: out of memory\n");
    return 1;
  }
  for (long i = 0; i < N; ++i)
    data[i] = (float)(i & 7);
  double best = 0.0;
  for (int pass = 0; pass < 5; ++pass) {
    struct timespec t0, t1;
    pthread_t threads[THREADS];
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long t = 0; t < THREADS; ++t)
      pthread_create(&threads[t], NULL, sumHalf, (void *)t);
    for (int t = 0; t < THREADS; ++t)
      pthread_join(threads[t], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
    double gbs = N * sizeof(float) / s / 1e9;
    if (gbs > best)
      best = gbs;
  }
  /* The sums keep the loops; they are N/8 * 28 whatever the order. */
  if (sums[0] + sums[1] < 0.0f)
    printf("?");
  printf("%.1f\n", best);
  return 0;
}
